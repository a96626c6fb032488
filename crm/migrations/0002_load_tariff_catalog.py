"""Load the catalog: the reference tariff sheet (中国电信移动电话服务说明) and marked demo plans."""

import datetime
from decimal import Decimal as D

from django.db import migrations

SHEET_DATE = datetime.date(2011, 10, 16)  # the sheet's edition (20111016)
GB_IN_KB = 1024 * 1024

# (code, kind, name, monthly_fee, one_time_fee, minimum_months, description)
SHEET_PRODUCTS = [
    ("DAZHONG", "mobile_plan", "大众卡", D("5.00"), D("0.00"), 0,
     "预付费方案“大众卡”：功能费5元/月。主叫本地0.20元/分钟，国内长途0.30元/分钟，"
     "国内漫游主叫0.60元/分钟、被叫0.40元/分钟，本地被叫免费；短信0.10元/条；"
     "上网0.0003元/KB，每月20GB封顶、费用1000元封顶（包含套餐费）。"),
    ("CALLER_ID", "feature", "来电显示", D("5.00"), D("0.00"), 0,
     "来电显示使用费5元/月，开通当月按天计收。"),
    ("RING_BACK_TONE", "feature", "彩铃", D("6.00"), D("0.00"), 6,
     "彩铃功能使用费6元/月，开通当月按天计收，自开通次月起至少连续用满6个月。"),
    ("UIM_CARD", "one_time", "UIM卡卡费", D("0.00"), D("30.00"), 0, "UIM卡卡费30元/张。"),
    ("VAS_BUNDLE", "value_added", "天翼增值自选包", D("0.00"), D("0.00"), 0,
     "天翼增值自选包共9项内容；资费单未列单价，按营业场所公示标准收取。"),
]
VAS_BUNDLE_ITEMS = [
    ("VAS_SECRETARY", "天翼通信助理-秘书版"),
    ("VAS_MAIL_189", "5元容量的189邮箱"),
    ("VAS_GAMES", "爱游戏-畅游包"),
    ("VAS_VIDEO", "天翼视讯-全能看"),
    ("VAS_SPACE", "天翼空间-全能玩"),
    ("VAS_READING", "天翼阅读-精选畅阅"),
    ("VAS_MUSIC", "爱音乐-全能听"),
    ("VAS_COLOUR_RING", "七彩铃音"),
    ("VAS_HEALTH", "健康随行"),
]
DEMO_PRODUCTS = [
    ("DEMO_FEIYOUNG_39", "mobile_plan", "飞Young 39元套餐（演示）", D("39.00"), None,
     "演示数据：每月含国内通话200分钟、短信100条、国内流量5GB。"),
    ("DEMO_LEXIANG_129", "mobile_plan", "乐享129元套餐（演示）", D("129.00"), None,
     "演示数据：每月含国内通话1000分钟、短信300条、国内流量30GB。"),
    ("DEMO_BROADBAND_300M", "broadband_plan", "光宽带300M（演示）", D("80.00"), 300,
     "演示数据：300Mbps光纤宽带，含光猫。"),
    ("DEMO_BROADBAND_1000M", "broadband_plan", "千兆宽带1000M（演示）", D("150.00"), 1000,
     "演示数据：1000Mbps光纤宽带，含千兆光猫和路由器。"),
    ("DEMO_FIXED_LINE", "fixed_line_plan", "家庭固话（演示）", D("20.00"), None,
     "演示数据：固定电话月租20元，本地通话0.10元/分钟。"),
]
DAZHONG_TERMS = {
    "local_call_per_minute": D("0.20"),
    "long_distance_per_minute": D("0.30"),
    "roaming_out_per_minute": D("0.60"),
    "roaming_in_per_minute": D("0.40"),
    "incoming_per_minute": D("0.00"),
    "sms_each": D("0.10"),
    "data_per_kb": D("0.0003"),
    "monthly_data_cap_kb": 20 * GB_IN_KB,
    "monthly_charge_cap": D("1000.00"),
    "reopened_data_per_kb": D("0.0003"),
}
DEMO_TERMS = {
    "DEMO_FEIYOUNG_39": {
        **DAZHONG_TERMS,
        "local_call_per_minute": D("0.15"),
        "long_distance_per_minute": D("0.15"),
        "roaming_out_per_minute": D("0.15"),
        "roaming_in_per_minute": D("0.00"),
        "included_minutes": 200,
        "included_sms": 100,
        "included_data_kb": 5 * GB_IN_KB,
    },
    "DEMO_LEXIANG_129": {
        **DAZHONG_TERMS,
        "local_call_per_minute": D("0.10"),
        "long_distance_per_minute": D("0.10"),
        "roaming_out_per_minute": D("0.10"),
        "roaming_in_per_minute": D("0.00"),
        "included_minutes": 1000,
        "included_sms": 300,
        "included_data_kb": 30 * GB_IN_KB,
        "monthly_data_cap_kb": 60 * GB_IN_KB,
    },
}


def load_catalog(apps, schema_editor):
    Product = apps.get_model("crm", "Product")
    MobilePlanTerms = apps.get_model("crm", "MobilePlanTerms")
    for code, kind, name, monthly, one_time, minimum, description in SHEET_PRODUCTS:
        Product.objects.update_or_create(
            code=code,
            defaults=dict(kind=kind, name=name, monthly_fee=monthly, one_time_fee=one_time,
                          minimum_months=minimum, description=description,
                          valid_from=SHEET_DATE, is_demo=False),
        )
    bundle = Product.objects.get(code="VAS_BUNDLE")
    for code, name in VAS_BUNDLE_ITEMS:
        item, _ = Product.objects.update_or_create(
            code=code,
            defaults=dict(kind="value_added", name=name, valid_from=SHEET_DATE,
                          description="天翼增值自选包内容之一。", is_demo=False),
        )
        bundle.components.add(item)
    MobilePlanTerms.objects.update_or_create(
        product=Product.objects.get(code="DAZHONG"), defaults=DAZHONG_TERMS
    )
    for code, kind, name, monthly, bandwidth, description in DEMO_PRODUCTS:
        product, _ = Product.objects.update_or_create(
            code=code,
            defaults=dict(kind=kind, name=name, monthly_fee=monthly, bandwidth_mbps=bandwidth,
                          description=description, valid_from=datetime.date(2026, 1, 1),
                          is_demo=True),
        )
        if code in DEMO_TERMS:
            MobilePlanTerms.objects.update_or_create(product=product, defaults=DEMO_TERMS[code])


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
