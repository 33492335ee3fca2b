# The tenant's models moved to `centres` (centres/migrations/0001_initial.py): in
# Django's state only, as the tables keep their names.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('centres', '0001_initial'),
        ('training', '0002_pass_mark_at_least_one'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.AlterField(
            model_name='certificate',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='progress',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='progress',
            name='membership',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='training_progress', to='centres.membership'),
        ),
        migrations.AlterField(
            model_name='trainingprofile',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='trainingprofile',
            name='membership',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='training', to='centres.membership'),
        ),
            ],
        ),
    ]
