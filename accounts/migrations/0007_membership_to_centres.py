# The tenant's models moved to `centres` (centres/migrations/0001_initial.py): in
# Django's state only, as the tables keep their names.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_membership_to_centres_constraints'),
        ('centres', '0001_initial'),
        ('training', '0003_centre_in_centres'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.AlterField(
            model_name='invite',
            name='centre',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invites', to='centres.centre'),
        ),
        migrations.RemoveField(
            model_name='membership',
            name='centre',
        ),
        migrations.RemoveField(
            model_name='membership',
            name='iamis_qualifications',
        ),
        migrations.RemoveField(
            model_name='membership',
            name='iamis_units',
        ),
        migrations.RemoveField(
            model_name='membership',
            name='user',
        ),
        migrations.DeleteModel(
            name='AccessGrant',
        ),
        migrations.DeleteModel(
            name='Membership',
        ),
            ],
        ),
    ]
