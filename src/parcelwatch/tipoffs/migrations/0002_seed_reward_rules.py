"""The three reward documents of the Putian bureau (grid workers, the public, insiders), with default amounts and
higher rewards for the gravest violations. Amounts are configuration: the administrator edits them."""

from decimal import Decimal

from django.db import migrations

RULE_SETS = [
    ("grid", "莆田市网格员寄递安全隐患报告奖励办法", "200", {"JJ01": "500", "XK01": "300"}),
    ("public", "莆田市寄递业违法违规行为社会公众举报奖励办法", "500", {"JJ01": "2000", "XK01": "1000", "RS01": "800"}),
    ("insider", "莆田市寄递企业内部人员举报奖励办法", "1000", {"JJ01": "3000", "XK01": "2000", "RS01": "1500"}),
]


def seed(apps, schema_editor):
    RuleSet = apps.get_model("tipoffs", "RewardRuleSet")
    Rule = apps.get_model("tipoffs", "RewardRule")
    Category = apps.get_model("events", "EventCategory")
    for audience, title, default, rules in RULE_SETS:
        rule_set, created = RuleSet.objects.get_or_create(
            audience=audience, defaults={"title": title, "default_amount": Decimal(default)})
        if not created:
            continue
        for code, amount in rules.items():
            category = Category.objects.filter(code=code).first()
            if category is not None:
                Rule.objects.create(rule_set=rule_set, category=category, amount=Decimal(amount))


class Migration(migrations.Migration):
    dependencies = [("tipoffs", "0001_initial"), ("events", "0013_alter_event_source")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
