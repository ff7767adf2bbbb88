from __future__ import annotations

import pytest

from upstate.lib import emailurl


def test_it_reads_smtp_with_starttls_and_encoded_credentials():
    config = emailurl.parse("smtp://ops%40acme.test:s3cr%2Ft@mail.acme.test:587?tls=True")
    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.acme.test",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "ops@acme.test",
        "EMAIL_HOST_PASSWORD": "s3cr/t",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }


def test_smtps_means_implicit_tls_on_465():
    config = emailurl.parse("smtps://mail.acme.test")
    assert config["EMAIL_USE_SSL"] is True
    assert config["EMAIL_PORT"] == 465


def test_console_and_file_backends():
    assert emailurl.parse("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert emailurl.parse("file:///var/mail/upstate")["EMAIL_FILE_PATH"] == "/var/mail/upstate"


@pytest.mark.parametrize("url", ["http://mail", "smtp://mail?tls=yes", "mail.acme.test"])
def test_it_refuses_what_it_cannot_read(url):
    with pytest.raises(ValueError):
        emailurl.parse(url)
