"""Sign in, sign out and password reset: Django's auth views with our forms and templates."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest, HttpResponse

from upstate.lib.ratelimit import client_ip
from upstate.throttle.services import clear, hit

log = logging.getLogger(__name__)

TOO_MANY = "Too many failed sign-in attempts. Wait 15 minutes or reset your password."
RESET_WINDOW = 3600


def _hashed(value: str) -> str:
    # Counters hold no email or network addresses.
    return hashlib.sha256(value.encode()).hexdigest()[:40]


def _failure_key(request: HttpRequest | None, email: str) -> str:
    return f"login:{_hashed(f'{email.strip().lower()}|{client_ip(request)}')}"


class EmailLoginForm(AuthenticationForm):
    """Email + password; after LOGIN_FAILURE_LIMIT failures for one email from one address
    within LOGIN_FAILURE_WINDOW, further attempts are refused without checking the password."""

    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        help_text="The address your organization invited.",
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Forgot it? Use the reset link below.",
    )
    throttled = False

    def clean(self) -> dict[str, Any]:
        email = (self.cleaned_data.get("username") or "").lower()
        self.cleaned_data["username"] = email
        key = _failure_key(self.request, email)
        # Counted before the password is checked, in one atomic step: of attempts sent in
        # parallel, only the first LOGIN_FAILURE_LIMIT are checked. A success forgets them.
        if email and hit(key, settings.LOGIN_FAILURE_WINDOW) > settings.LOGIN_FAILURE_LIMIT:
            self.throttled = True
            raise forms.ValidationError(TOO_MANY, code="throttled")
        cleaned = super().clean()
        clear(key)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "dashboard/auth/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: EmailLoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response


class InviteAwarePasswordResetForm(PasswordResetForm):
    """Also sends the link to members who were invited and never set a password, so the
    same form serves "forgot my password" and "set my first password"."""

    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        help_text="We send a link to set a new password if an account uses this address.",
    )

    def get_users(self, email: str):  # noqa: ANN201
        return get_user_model()._default_manager.filter(email__iexact=email, is_active=True)

    def save(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        """Send the link unless this address or this client asked too often within the hour
        (PASSWORD_RESET_LIMIT_PER_ADDRESS, PASSWORD_RESET_LIMIT_PER_IP). Either way the
        person sees the same neutral answer: the form never tells whether an account exists
        or a limit was reached."""
        email = self.cleaned_data["email"].strip().lower()
        by_client = hit(f"reset-ip:{_hashed(client_ip(request))}", RESET_WINDOW)
        by_address = hit(f"reset-email:{_hashed(email)}", RESET_WINDOW)
        if by_client > settings.PASSWORD_RESET_LIMIT_PER_IP:
            log.warning("password reset refused: too many requests from one client")
            return
        if by_address > settings.PASSWORD_RESET_LIMIT_PER_ADDRESS:
            log.warning("password reset refused: too many requests for one address")
            return
        super().save(*args, request=request, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = InviteAwarePasswordResetForm
    template_name = "dashboard/auth/password_reset_form.html"
    email_template_name = "dashboard/auth/password_reset_email.txt"
    subject_template_name = "dashboard/auth/password_reset_subject.txt"
    success_url = "/dashboard/password-reset/sent/"

    def form_valid(self, form: InviteAwarePasswordResetForm) -> HttpResponse:
        # The link is built from UPSTATE_PUBLIC_URL, never from the request's Host header: a
        # forged one would mail the real user a working token on someone else's site.
        self.extra_email_context = {"public_url": settings.PUBLIC_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "dashboard/auth/password_reset_confirm.html"
    success_url = "/dashboard/password-reset/done/"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "dashboard/auth/password_reset_done.html"


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "dashboard/auth/password_reset_complete.html"


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), then back to the sign-in form."""
