"""Evidence files get a virus-scan state (issue 9, item 6).

Files uploaded before scanning began are marked clean without being scanned, and say so
in scan_detail: they were already open to moderators, and withholding them now would
take work away from moderation in progress. New files start pending. The evidence
trigger (0004) guards only the identifying fields, so these columns stay updatable.
"""

from django.db import migrations, models

UNSCANNED = "uploaded before virus scanning began; not scanned"


def mark_existing_files_clean(apps, schema_editor):
    EvidenceFile = apps.get_model("uploads", "EvidenceFile")
    EvidenceFile.objects.update(scan_status="clean", scan_detail=UNSCANNED)


class Migration(migrations.Migration):

    dependencies = [
        ('uploads', '0004_evidence_deletion_guard'),
    ]

    operations = [
        migrations.AddField(
            model_name='evidencefile',
            name='scan_attempts',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='evidencefile',
            name='scan_detail',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='evidencefile',
            name='scan_queued_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='evidencefile',
            name='scan_status',
            field=models.CharField(choices=[('pending', 'Being checked for viruses'), ('clean', 'No virus found'), ('infected', 'A virus was found'), ('error', 'Could not be checked for viruses')], default='pending', max_length=10, verbose_name='virus check'),
        ),
        migrations.AddField(
            model_name='evidencefile',
            name='scanned_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_existing_files_clean, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='evidencefile',
            index=models.Index(condition=models.Q(('scan_status', 'pending')), fields=['scan_queued_at'], name='evidence_scan_pending'),
        ),
        migrations.AddConstraint(
            model_name='evidencefile',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('scan_status', 'pending'), _negated=True), ('scanned_at__isnull', True), _connector='OR'), name='evidence_pending_scan_has_no_time'),
        ),
        migrations.AddConstraint(
            model_name='evidencefile',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('scan_status', 'infected'), _negated=True), models.Q(('scan_detail', ''), _negated=True), _connector='OR'), name='evidence_infected_names_its_signature'),
        ),
    ]
