# The tenant's models moved to `centres` (centres/migrations/0001_initial.py): in
# Django's state only, as the tables keep their names.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_membership_joined_left'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.RemoveConstraint(
            model_name='accessgrant',
            name='grant_unique_per_area',
        ),
        migrations.RemoveConstraint(
            model_name='membership',
            name='membership_unique_per_centre',
        ),
        migrations.RemoveConstraint(
            model_name='membership',
            name='one_exams_officer_per_centre',
        ),
            ],
        ),
    ]
