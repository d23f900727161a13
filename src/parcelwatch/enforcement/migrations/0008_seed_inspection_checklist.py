"""The on-site inspection checklist (codes match the event categories a failed point is raised as): the three safety rules and the points of a 双随机 postal-market inspection."""

from django.db import migrations

ITEMS = [
    ("YS01", "收寄验视：当面验视内件，验视后加贴验视标识"),
    ("RS01", "实名收寄：核对寄件人有效身份证件并录入信息系统"),
    ("AJ01", "过机安检：安检机开机运行并有专人值守判图"),
    ("BA02", "营业执照、快递业务经营许可证、网点备案与实际经营一致"),
    ("AQ01", "安全员在岗，履职记录和月报告齐全"),
    ("AQ02", "禁寄物品目录在显著位置公示，从业人员经过培训并知晓"),
    ("SP01", "视频监控正常运行，录像保存不少于30日"),
    ("AQ03", "应急预案在有效期内，本年度开展过应急演练"),
    ("XF01", "消防器材配备有效，安全通道畅通"),
]


def seed(apps, schema_editor):
    Item = apps.get_model("enforcement", "InspectionChecklistItem")
    for order, (code, text) in enumerate(ITEMS, start=1):
        Item.objects.get_or_create(code=code, defaults={"text": text, "order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("enforcement", "0007_inspectionchecklistitem_inspectionplan_inspection")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
