"""The Putian default duty report: the three safety rules first, then the officer's other monthly duties."""

from django.db import migrations

ITEMS = [
    ("inspection", "收寄验视制度落实到位，快件均经开箱验视并加盖验视标识", "inspection"),
    ("real_name", "实名收寄制度落实到位，寄件人身份信息查验并登记率100%", "real_name"),
    ("xray", "过机安检制度落实到位，安检设备正常运行，快件100%过机并加施安检标识", "xray"),
    ("patrol", "安全员每日开展安全巡查并做好记录", ""),
    ("training", "本月组织从业人员安全教育培训并留存记录", ""),
    ("hazards", "本月排查的安全隐患均已整改或落实管控措施", ""),
    ("video", "视频监控设备正常运行，录像保存不少于90日", ""),
    ("emergency", "应急预案有效，应急物资齐备", ""),
]


def seed(apps, schema_editor):
    Template = apps.get_model("selfcheck", "DutyReportTemplate")
    Item = apps.get_model("selfcheck", "DutyReportItem")
    if Template.objects.exists():
        return
    template = Template.objects.create(name="寄递企业安全员履职月报告", active=True, due_day=10, remind_days_before=3,
                                       narrative_required=True, attachment_required=False)
    Item.objects.bulk_create([Item(template=template, code=code, text=text, rule=rule, sort_order=i)
                              for i, (code, text, rule) in enumerate(ITEMS, 1)])


class Migration(migrations.Migration):
    dependencies = [("selfcheck", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
