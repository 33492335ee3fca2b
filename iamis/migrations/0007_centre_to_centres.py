# The tenant's models moved to `centres` (centres/migrations/0001_initial.py): in
# Django's state only, as the tables keep their names.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_membership_to_centres'),
        ('audit', '0007_centre_in_centres'),
        ('centres', '0001_initial'),
        ('iamis', '0006_unit_structure_guard'),
        ('moderation', '0002_centre_in_centres'),
        ('notifications', '0004_centre_in_centres'),
        ('portal', '0004_centre_in_centres'),
        ('reports', '0003_centre_in_centres'),
        ('sampling', '0002_centre_in_centres'),
        ('training', '0003_centre_in_centres'),
        ('uploads', '0008_centre_in_centres'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.RemoveConstraint(
            model_name='centre',
            name='centre_number_in_range',
        ),
        migrations.AlterField(
            model_name='marksheet',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='marksheets', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='candidate',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='candidates', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='markchangerequest',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='mark_change_requests', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='submission',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='markchange',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre'),
        ),
        migrations.AlterField(
            model_name='mark',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre'),
        ),
        migrations.RemoveConstraint(
            model_name='moderatorallocation',
            name='one_moderator_per_centre_unit',
        ),
        migrations.RemoveField(
            model_name='moderatorallocation',
            name='centre',
        ),
        migrations.RemoveField(
            model_name='moderatorallocation',
            name='moderator',
        ),
        migrations.RemoveField(
            model_name='moderatorallocation',
            name='unit',
        ),
        migrations.DeleteModel(
            name='Centre',
        ),
        migrations.DeleteModel(
            name='ModeratorAllocation',
        ),
            ],
        ),
    ]
