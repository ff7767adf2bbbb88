"""Dashboard URLs of the audit log, mounted under /dashboard/<org_slug>/ in the "dashboard"
namespace (see upstate/dashboard/urls.py)."""

from django.urls import path

from upstate.audit import views

urlpatterns = [path("audit/", views.audit_log, name="audit-log")]
