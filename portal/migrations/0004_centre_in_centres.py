# The tenant's models moved to `centres` (centres/migrations/0001_initial.py): in
# Django's state only, as the tables keep their names.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('centres', '0001_initial'),
        ('portal', '0003_exams_officer_change_language'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.AlterField(
            model_name='examsofficerchange',
            name='centre',
            field=models.ForeignKey(blank=True, help_text='Known for Portal requests; matched by board staff for the public form.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='exams_officer_changes', to='centres.centre'),
        ),
            ],
        ),
    ]
