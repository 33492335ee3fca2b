# The tenant's models moved to `centres` (centres/migrations/0001_initial.py): in
# Django's state only, as the tables keep their names.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('centres', '0001_initial'),
        ('moderation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.AlterField(
            model_name='clericalcorrection',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='moderatorreport',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre'),
        ),
            ],
        ),
    ]
