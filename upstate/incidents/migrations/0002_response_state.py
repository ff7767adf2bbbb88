"""The internal response state (triggered → acknowledged → resolved), beside the public status;
existing incidents get the state their timestamps say."""

from django.db import migrations, models


def derive_states(apps, schema_editor):  # noqa: ANN001, ANN201
    Incident = apps.get_model("incidents", "Incident")
    Incident.objects.filter(resolved_at__isnull=False).update(response_state="resolved")
    Incident.objects.filter(resolved_at__isnull=True, acknowledged_at__isnull=False).update(
        response_state="acknowledged"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="response_state",
            field=models.CharField(
                choices=[
                    ("triggered", "Triggered"),
                    ("acknowledged", "Acknowledged"),
                    ("resolved", "Resolved"),
                ],
                default="triggered",
                max_length=12,
            ),
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("response_state", "triggered")),
                fields=["started_at"],
                name="incident_triggered",
            ),
        ),
        migrations.RunPython(derive_states, migrations.RunPython.noop),
    ]
