# Centre, ModeratorAllocation (from iamis), Membership and AccessGrant (from accounts)
# move here in Django's state only: the tables keep their names (Meta.db_table), so no
# row moves. The content types follow, so admin history and permissions stay attached.

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


MOVED = {
    "centre": "iamis",
    "moderatorallocation": "iamis",
    "membership": "accounts",
    "accessgrant": "accounts",
}


def _relabel(apps, schema_editor, *, backwards):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model, old_app in MOVED.items():
        source, target = ("centres", old_app) if backwards else (old_app, "centres")
        moving = content_type.objects.filter(app_label=source, model=model)
        if not moving.exists():
            continue
        # A migrate run that stopped between the apps may have made the other label's
        # content type too (post_migrate, with both models in the state): it is empty
        # and new, so it gives way to the one that carries the history.
        content_type.objects.filter(app_label=target, model=model).delete()
        moving.update(app_label=target)


def move_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, backwards=False)


def move_content_types_back(apps, schema_editor):
    _relabel(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('iamis', '0006_unit_structure_guard'),
        ('accounts', '0005_membership_joined_left'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='Centre',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(unique=True, validators=[django.core.validators.MaxValueValidator(79999)], verbose_name='centre number')),
                ('name', models.CharField(max_length=200, verbose_name='centre name')),
                ('exams_officer_name', models.CharField(blank=True, max_length=200, verbose_name='exams officer name')),
                ('exams_officer_email', models.EmailField(blank=True, max_length=254, verbose_name='exams officer e-mail')),
                ('head_of_centre', models.CharField(blank=True, max_length=200, verbose_name='head of centre name')),
                ('telephone', models.CharField(blank=True, max_length=40, verbose_name='telephone number')),
                ('post_results_email', models.EmailField(blank=True, help_text='For e-mail alerts about review of marking and clerical errors.', max_length=254, verbose_name='post-results e-mail address')),
            ],
            options={
                'verbose_name': 'centre',
                'verbose_name_plural': 'centres',
                'db_table': 'iamis_centre',
                'ordering': ['number'],
                'constraints': [models.CheckConstraint(condition=models.Q(('number__gte', 0), ('number__lte', 79999)), name='centre_number_in_range', violation_error_message='A centre number is between 0 and 79999.')],
            },
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('account_type', models.CharField(choices=[('exams_officer', 'Exams officer'), ('admin', 'Admin'), ('user', 'User')], default='user', max_length=20, verbose_name='account type')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('joined_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='joined')),
                ('left_at', models.DateTimeField(blank=True, null=True, verbose_name='left')),
                ('centre', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='centres.centre')),
                ('iamis_qualifications', models.ManyToManyField(blank=True, db_table='accounts_membership_iamis_qualifications', related_name='+', to='iamis.qualification')),
                ('iamis_units', models.ManyToManyField(blank=True, db_table='accounts_membership_iamis_units', related_name='+', to='iamis.unit')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'membership',
                'verbose_name_plural': 'memberships',
                'db_table': 'accounts_membership',
                'ordering': ['centre', 'user__email'],
            },
        ),
        migrations.CreateModel(
            name='AccessGrant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('area', models.CharField(choices=[('iamis', 'IAMIS'), ('training', 'Invigilator training'), ('access_arrangements', 'Access Arrangements / CAP'), ('entries_results', 'Entries and Results'), ('resources', 'Past Papers, Marking Schemes and Resources'), ('view_scripts', 'View Scripts')], max_length=30, verbose_name='area')),
                ('granted_at', models.DateTimeField(auto_now_add=True, verbose_name='granted')),
                ('membership', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='grants', to='centres.membership')),
            ],
            options={
                'verbose_name': 'access grant',
                'verbose_name_plural': 'access grants',
                'db_table': 'accounts_accessgrant',
                'ordering': ['membership', 'area'],
            },
        ),
        migrations.CreateModel(
            name='ModeratorAllocation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('centre', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='centres.centre')),
                ('moderator', models.ForeignKey(limit_choices_to={'is_moderator': True}, on_delete=django.db.models.deletion.PROTECT, related_name='allocations', to=settings.AUTH_USER_MODEL)),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='allocations', to='iamis.unit')),
            ],
            options={
                'verbose_name': 'moderator allocation',
                'verbose_name_plural': 'moderator allocations',
                'db_table': 'iamis_moderatorallocation',
            },
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(fields=('user', 'centre'), name='membership_unique_per_centre'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('account_type', 'exams_officer'), ('is_active', True)), fields=('centre',), name='one_exams_officer_per_centre', violation_error_message='A centre has one exams officer.'),
        ),
        migrations.AddConstraint(
            model_name='accessgrant',
            constraint=models.UniqueConstraint(fields=('membership', 'area'), name='grant_unique_per_area'),
        ),
        migrations.AddConstraint(
            model_name='moderatorallocation',
            constraint=models.UniqueConstraint(fields=('centre', 'unit'), name='one_moderator_per_centre_unit'),
        ),
            ],
        database_operations=[migrations.RunPython(move_content_types, move_content_types_back)],
        ),
    ]
