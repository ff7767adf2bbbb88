"""Sign in, sign out and password reset: Django's auth views with our forms and templates."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from upstate.lib.ratelimit import client_ip, hit

TOO_MANY = "Too many failed sign-in attempts. Wait 15 minutes or reset your password."


def _failure_key(request: HttpRequest | None, email: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{client_ip(request)}".encode()).hexdigest()
    return f"login-failures:{digest}"


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
        if email and cache.get(key, 0) >= settings.LOGIN_FAILURE_LIMIT:
            self.throttled = True
            raise forms.ValidationError(TOO_MANY, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if email:
                hit(key, settings.LOGIN_FAILURE_WINDOW)
            raise
        cache.delete(key)
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


class PasswordResetView(auth_views.PasswordResetView):
    form_class = InviteAwarePasswordResetForm
    template_name = "dashboard/auth/password_reset_form.html"
    email_template_name = "dashboard/auth/password_reset_email.txt"
    subject_template_name = "dashboard/auth/password_reset_subject.txt"
    success_url = "/dashboard/password-reset/sent/"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "dashboard/auth/password_reset_confirm.html"
    success_url = "/dashboard/password-reset/done/"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "dashboard/auth/password_reset_done.html"


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "dashboard/auth/password_reset_complete.html"


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), then back to the sign-in form."""
