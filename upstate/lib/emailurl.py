"""Email settings from one URL: `smtp://user:password@host:587?tls=starttls`."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    # One line per message unless UPSTATE_EMAIL_CONSOLE_FULL (upstate/notifications/console.py).
    "console": "upstate.notifications.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def parse(url: str) -> dict[str, object]:
    """Django EMAIL_* settings for `url`.

    Schemes: `smtp://` (add `?tls=starttls` for STARTTLS, `?tls=ssl` for implicit TLS; the
    older `?tls=True` and `?ssl=True` mean the same),
    `smtps://` (implicit TLS, port 465), `console://` (one line per message on the terminal),
    `file:///path/to/dir`, `locmem://`, `dummy://`. User and password are URL-decoded, so
    `%40` stands for `@`.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in BACKENDS:
        raise ValueError(f"email URL scheme must be one of {', '.join(BACKENDS)}, not {scheme!r}")
    config: dict[str, object] = {"EMAIL_BACKEND": BACKENDS[scheme]}
    if scheme == "file":
        config["EMAIL_FILE_PATH"] = unquote(parts.path)
    if scheme not in ("smtp", "smtps"):
        return config
    query = {key.lower(): values[-1] for key, values in parse_qs(parts.query).items()}
    tls_mode = query.get("tls", "").lower()
    if tls_mode in ("starttls", "ssl"):
        query["tls"], query["ssl"] = (
            ("True", "False") if tls_mode == "starttls" else ("False", "True")
        )
    for flag in ("tls", "ssl"):
        if query.get(flag, "False") not in ("True", "False"):
            raise ValueError(
                f"email URL option {flag} must be starttls, ssl, True or False"
                if flag == "tls"
                else f"email URL option {flag} must be True or False"
            )
    ssl = scheme == "smtps" or query.get("ssl") == "True"
    config.update(
        EMAIL_HOST=parts.hostname or "localhost",
        EMAIL_PORT=parts.port or (465 if ssl else 25),
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=query.get("tls") == "True",
        EMAIL_USE_SSL=ssl,
        EMAIL_TIMEOUT=int(query.get("timeout", "10")),
    )
    return config
