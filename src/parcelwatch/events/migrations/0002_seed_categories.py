"""Seed the event categories (DOMAIN.md) and document numbering. Both stay editable by the admin."""

from decimal import Decimal

from django.db import migrations

EVIDENCE = ["resolve_on_spot", "submit_rectification", "confirm", "dispute"]

# code, name, legal basis, typical penalty, fine min, fine max
CATEGORIES = [
    ("RS01", "未查验/登记寄件人身份", "《中华人民共和国反恐怖主义法》第二十条、第八十五条；《快递暂行条例》第二十二条",
     "10万–50万元，直接负责人员10万元以下", 100000, 500000),
    ("RS02", "实名信息虚报瞒报漏报", "《寄递服务用户个人信息安全管理规定》《邮件快件实名收寄管理办法》",
     "5千–1万元；情节严重1万–3万元", 5000, 30000),
    ("YS01", "未收寄验视/无验视标识", "《中华人民共和国邮政法》第二十五条、第七十五条；《快递暂行条例》第三十一条",
     "10万–50万元；责令停业整顿", 100000, 500000),
    ("AJ01", "未过机安检/无安检标识", "《快递暂行条例》第三十二条", "责令改正，拒不改正的处罚款", None, None),
    ("AJ02", "安检设备未正常使用", "《中华人民共和国安全生产法》第九十九条", "5万元以下；5万–20万元", 0, 200000),
    ("JJ01", "违规收寄禁寄物品", "《中华人民共和国反恐怖主义法》第八十五条；《中华人民共和国邮政法》第七十五条",
     "10万–50万元", 100000, 500000),
    ("XK01", "无证经营快递业务", "《中华人民共和国邮政法》第七十二条", "5万–10万元；10万–20万元", 50000, 200000),
    ("BA01", "末端网点未备案", "《快递暂行条例》第十八条、第四十条", "1万元以下；1万–5万元", 0, 50000),
    ("BA02", "备案信息变更未办/与实际不符", "《快递末端网点备案暂行规定》；《快递暂行条例》第四十条",
     "1万元以下；1万–5万元", 0, 50000),
    ("BA03", "分支机构未备案", "《中华人民共和国邮政法》第五十四条、第七十三条", "1万元以下；1万–5万元", 0, 50000),
    ("AQ01", "未配备安全管理人员/安全员", "《中华人民共和国安全生产法》", "10万元以下", 0, 100000),
    ("AQ02", "从业人员未培训/无记录", "《中华人民共和国安全生产法》", "10万元以下", 0, 100000),
    ("AQ03", "无应急预案/未演练", "《快递暂行条例》第三十五条；《中华人民共和国安全生产法》", "10万元以下", 0, 100000),
    ("AQ04", "重大事故隐患（传送带防护、急停等）", "《寄递企业重大事故隐患判定标准》（2024）", "5万元以下；责令停产停业",
     0, 50000),
    ("SP01", "视频监控未覆盖/保存不足", "《寄递安全监督管理办法》", "责令改正，拒不改正的1万元以下", 0, 10000),
    ("XF01", "消防隐患/“三合一”场所", "《中华人民共和国消防法》", "移交消防救援机构", None, None),
    ("FW01", "抛扔踩踏快件/暴力分拣", "《快递市场管理办法》", "警告；1万元以下；1万–3万元", 0, 30000),
    ("FW02", "未经同意投柜/投驿站", "《快递市场管理办法》", "警告；1万元以下；1万–3万元", 0, 30000),
    ("FW03", "快件积压/停业未报告", "《快递暂行条例》第二十九条、第四十条", "1万元以下；1万–5万元", 0, 50000),
    ("XX01", "泄露/出售用户信息", "《快递暂行条例》第三十四条、第四十四条；《中华人民共和国邮政法》第七十六条",
     "1万–5万元；5万–10万元", 10000, 100000),
    ("XX02", "运单未按规定销毁", "《快递暂行条例》第四十四条", "1万–5万元；5万–10万元", 10000, 100000),
    ("KJ01", "私拆/隐匿/毁弃快件", "《快递暂行条例》第四十二条", "5万–10万元；10万–20万元", 50000, 200000),
    ("ZA01", "拒绝、阻碍监督检查", "《中华人民共和国邮政法》第七十七条", "移送公安机关；责令停业整顿", None, None),
]

TEMPLATES = [
    ("event", "SJ{year}{seq:05d}", False),
    ("case", "莆邮管案〔{year}〕{seq}号", False),
    ("reminder_letter", "{issuer}邮安提〔{year}〕{seq}号", True),
    ("penalty_notice", "莆邮管告〔{year}〕{seq}号", False),
    ("penalty_decision", "莆邮管罚〔{year}〕{seq}号", False),
]


def seed(apps, schema_editor):
    EventCategory = apps.get_model("events", "EventCategory")
    for order, (code, name, basis, penalty, low, high) in enumerate(CATEGORIES, start=1):
        EventCategory.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "legal_basis": basis, "penalty_range": penalty,
                "fine_min": Decimal(low) if low is not None else None,
                "fine_max": Decimal(high) if high is not None else None,
                "rectification_days": 5, "evidence_required": EVIDENCE, "sort_order": order,
            },
        )
    NumberTemplate = apps.get_model("documents", "NumberTemplate")
    for kind, template, per_issuer in TEMPLATES:
        NumberTemplate.objects.get_or_create(kind=kind, defaults={"template": template, "per_issuer": per_issuer})


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial"), ("documents", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
