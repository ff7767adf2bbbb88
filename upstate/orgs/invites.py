"""The invitation email: a link to set a first password, from Django's reset-token machinery."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from upstate.orgs.models import Membership


def set_password_url(user) -> str:  # noqa: ANN001
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("dashboard:password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.PUBLIC_URL}{path}"


def send_invitation(*, membership: Membership, invited_by: str) -> None:
    """New users get a set-password link; users who already sign in get a notice."""
    user = membership.user
    context = {
        "org": membership.org,
        "role": membership.get_role_display(),
        "invited_by": invited_by,
        "needs_password": not user.has_usable_password(),
        "set_password_url": set_password_url(user) if not user.has_usable_password() else "",
        "login_url": f"{settings.PUBLIC_URL}{reverse('dashboard:login')}",
    }
    subject = f"You have been added to {membership.org.name} on Upstate"
    body = render_to_string("orgs/invite_email.txt", context)
    send_mail(subject, body, None, [user.email])
