"""The Putian default scoring sheets: one for enterprises, one for sites; 100 points each."""

from decimal import Decimal

from django.db import migrations

SHEETS = [
    ("平安寄递企业考评表", "enterprise", [
        ("events", "寄递安全问题（网格巡查、检查发现，每起扣2分）", 20, "computed", "events", 2),
        ("overdue", "隐患整改逾期（每起扣5分）", 15, "computed", "overdue_rectifications", 5),
        ("reports", "安全员履职月报告按时报送", 20, "computed", "reports_on_time", 0),
        ("officers", "营业网点安全员备案在岗", 15, "computed", "officer_filed", 0),
        ("three_rules", "三项制度（收寄验视、实名收寄、过机安检）落实情况", 20, "manual", "", 0),
        ("emergency", "应急预案、应急演练及安全培训", 10, "manual", "", 0),
    ]),
    ("平安寄递网点考评表", "site", [
        ("events", "寄递安全问题（每起扣5分）", 30, "computed", "events", 5),
        ("overdue", "隐患整改逾期（每起扣10分）", 20, "computed", "overdue_rectifications", 10),
        ("officer", "安全员备案在岗", 20, "computed", "officer_filed", 0),
        ("three_rules", "三项制度现场落实情况", 30, "manual", "", 0),
    ]),
]


def seed(apps, schema_editor):
    Sheet = apps.get_model("assessment", "ScoringSheet")
    Criterion = apps.get_model("assessment", "Criterion")
    if Sheet.objects.exists():
        return
    for name, subject, criteria in SHEETS:
        sheet = Sheet.objects.create(name=name, subject=subject)
        Criterion.objects.bulk_create([
            Criterion(sheet=sheet, code=code, text=text, points=Decimal(points), method=method, metric=metric,
                      deduction=Decimal(deduction), sort_order=i)
            for i, (code, text, points, method, metric, deduction) in enumerate(criteria, 1)])


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
