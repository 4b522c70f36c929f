"""Reminders before a returned application's completion deadline and before the last day to
accept a grant: one row per deadline, so the daily job sends each once."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0012_who_speaks_for_an_organisation'),
    ]

    operations = [
        migrations.CreateModel(
            name='DeadlineReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('completion', 'Completion deadline'), ('acceptance', 'Last day to accept')], max_length=10)),
                ('deadline', models.DateTimeField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('application', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deadline_reminders', to='applications.application')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('application', 'kind', 'deadline'), name='one_reminder_per_deadline')],
            },
        ),
    ]
