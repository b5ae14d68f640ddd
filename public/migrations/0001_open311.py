"""Open311's clients and posts move to the public pages that use them: the models only. Their tables
keep their names (villages_open311client, villages_open311post), as do their rows, keys, constraints
and indexes; their content types follow them (with any permission given on them). villages/0005 lets
the territory's models go, so that villages/ holds the territory alone."""

import django.db.models.deletion
from django.db import migrations, models


def content_types_to(app_label: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        other = "villages" if app_label == "public" else "public"
        for model in ("open311client", "open311post"):
            if not ContentType.objects.filter(app_label=app_label, model=model).exists():
                ContentType.objects.filter(app_label=other, model=model).update(app_label=app_label)

    return move


class Migration(migrations.Migration):

    dependencies = [
        ("villages", "0004_towns"),
        ("cases", "0019_feedback_town_key"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Open311Client',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text='使用这个密钥的应用或单位，如“江门12345小程序”。', max_length=100, verbose_name='名称')),
                        ('contact', models.CharField(blank=True, help_text='密钥出问题时找谁（单位的工作电话或邮箱）。', max_length=200, verbose_name='联系人及联系方式')),
                        ('key_prefix', models.CharField(editable=False, help_text='用于查找密钥，不是密钥本身。', max_length=8, verbose_name='密钥前缀')),
                        ('key_hash', models.CharField(editable=False, max_length=64, verbose_name='密钥摘要')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('last_used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='最近使用时间')),
                        ('revoked_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='停用时间')),
                        ('posts_per_hour', models.PositiveIntegerField(blank=True, help_text='留空时按全镇默认值（OPEN311_POSTS_PER_HOUR）。', null=True, verbose_name='每小时提交上限')),
                    ],
                    options={
                        'verbose_name': 'Open311 接入方',
                        'verbose_name_plural': 'Open311 接入方',
                        'db_table': 'villages_open311client',
                        'ordering': ['name', 'pk'],
                        'constraints': [models.UniqueConstraint(fields=('key_prefix',), name='villages_open311client_unique_prefix')],
                    },
                ),
                migrations.CreateModel(
                    name='Open311Post',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                        ('outcome', models.CharField(choices=[('created', '已登记'), ('replayed', '重复提交（未重复登记）'), ('refused', '被拒绝')], max_length=20, verbose_name='结果')),
                        ('status_code', models.PositiveSmallIntegerField(verbose_name='HTTP状态码')),
                        ('message', models.CharField(blank=True, max_length=300, verbose_name='说明')),
                        ('remote_ip', models.CharField(blank=True, max_length=45, verbose_name='IP地址')),
                        ('token', models.CharField(blank=True, help_text='登记成功时发给接入方，可查询问题编号。', max_length=32, verbose_name='令牌')),
                        ('idempotency_key', models.CharField(blank=True, help_text='接入方为一次提交给的标识：同一标识再次提交不会重复登记。', max_length=64, verbose_name='提交标识')),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cases.case', verbose_name='问题')),
                        ('client', models.ForeignKey(blank=True, help_text='密钥无效时为空。', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='posts', to='public.open311client', verbose_name='接入方')),
                    ],
                    options={
                        'verbose_name': 'Open311 提交记录',
                        'verbose_name_plural': 'Open311 提交记录',
                        'db_table': 'villages_open311post',
                        'ordering': ['-created_at', '-pk'],
                        'indexes': [models.Index(fields=['client', '-created_at'], name='villages_open311post_client')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('outcome__in', ['created', 'replayed', 'refused'])), name='villages_open311post_outcome_valid'), models.UniqueConstraint(condition=models.Q(('token', ''), _negated=True), fields=('token',), name='villages_open311post_unique_token'), models.UniqueConstraint(condition=models.Q(models.Q(('idempotency_key', ''), _negated=True), ('outcome', 'created')), fields=('client', 'idempotency_key'), name='villages_open311post_unique_idempotency')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to("public"), content_types_to("villages")),
    ]
