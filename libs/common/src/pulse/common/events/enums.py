"""The closed value sets of event data (design §3). Values are lower case."""

from __future__ import annotations

from enum import StrEnum


class TicketPriority(StrEnum):
    """Priority of a support ticket."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketChannel(StrEnum):
    """How a support ticket reached the desk."""

    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    WEB = "web"
    OTHER = "other"


class OutageSeverity(StrEnum):
    """How bad an outage is."""

    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


class ContactRole(StrEnum):
    """The part a contact plays in the customer relationship."""

    SPONSOR = "sponsor"
    CHAMPION = "champion"
    POWER_USER = "power_user"
    EXECUTIVE = "executive"
    ADMIN = "admin"
    USER = "user"


class ContactChange(StrEnum):
    """What happened to a contact."""

    JOINED = "joined"
    LEFT = "left"
    ROLE_CHANGED = "role_changed"


class TouchpointKind(StrEnum):
    """The kind of customer-success touchpoint."""

    QBR = "qbr"
    EBR = "ebr"
    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    ONSITE = "onsite"
    WEBINAR = "webinar"
    TRAINING = "training"


class SurveyKind(StrEnum):
    """The survey a score answers; it fixes the score's range."""

    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


class MarketingEngagementKind(StrEnum):
    """What a contact did with marketing."""

    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    BOUNCE = "bounce"
    OPT_OUT = "opt_out"
    EVENT_ATTENDED = "event_attended"


class AccountSignalKind(StrEnum):
    """A notable thing learned about an account."""

    MERGER = "merger"
    ACQUISITION = "acquisition"
    RESTRUCTURING = "restructuring"
    BANKRUPTCY = "bankruptcy"
    REFERRAL_WILLING = "referral_willing"
    CASE_STUDY_WILLING = "case_study_willing"
    EXECUTIVE_SPONSOR_MEETING = "executive_sponsor_meeting"


class AccountSegment(StrEnum):
    """How much human attention an account gets."""

    HIGH_TOUCH = "high_touch"
    LOW_TOUCH = "low_touch"
    TECH_TOUCH = "tech_touch"


class ContractChange(StrEnum):
    """What happened to a contract."""

    NEW = "new"
    RENEWAL = "renewal"
    EXPANSION = "expansion"
    CONTRACTION = "contraction"
    CHURN = "churn"


class ContractReasonCategory(StrEnum):
    """Why a contract contracted or churned, in broad categories."""

    ADOPTION = "adoption"
    PRODUCT_FIT = "product_fit"
    PRICE = "price"
    SUPPORT = "support"
    EXTERNAL = "external"


#: Score range of each survey kind (inclusive).
SURVEY_SCORE_RANGE: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 7),
}
