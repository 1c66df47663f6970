"""Kafka transport settings: SASL and TLS as managed Kafka services need them."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from pulse.common.settings import Settings


def test_plaintext_is_the_default_and_names_only_the_servers() -> None:
    settings = Settings(kafka_bootstrap_servers="a:9092, b:9092")

    assert settings.kafka_client_options() == {
        "bootstrap_servers": ["a:9092", "b:9092"],
        "security_protocol": "PLAINTEXT",
    }
    assert settings.librdkafka_config() == {
        "bootstrap.servers": "a:9092,b:9092",
        "security.protocol": "PLAINTEXT",
    }


def test_sasl_ssl_with_scram_reaches_both_client_libraries() -> None:
    settings = Settings(
        kafka_bootstrap_servers="broker.example:9096",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="pulse",
        kafka_sasl_password="s3cret",
    )

    options = settings.kafka_client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("pulse", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].check_hostname is True
    assert settings.librdkafka_config() == {
        "bootstrap.servers": "broker.example:9096",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "pulse",
        "sasl.password": "s3cret",
    }
    assert "s3cret" not in repr(settings)


def test_sasl_without_credentials_names_the_missing_variables() -> None:
    with pytest.raises(ValidationError, match="PULSE_KAFKA_SASL_USERNAME"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="PLAIN")


def test_a_missing_ca_file_is_refused_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"

    with pytest.raises(ValidationError, match=f"PULSE_KAFKA_SSL_CA_FILE={missing}"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_ca_file=missing)


def test_a_client_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("not read here")

    with pytest.raises(ValidationError, match="PULSE_KAFKA_SSL_KEY_FILE"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_cert_file=cert)
