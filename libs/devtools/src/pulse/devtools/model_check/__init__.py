"""Checks of the health model against contract outcomes: `pulse model validate` and
`pulse model calibrate`. The statistics and the fit are pure (values in, figures out);
`dataset` reads what health and renewals store. See README.md."""
