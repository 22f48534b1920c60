"""The officials: 9 county leaders (包抓), the town leaders named in the article, the 园小二 cadres."""
from __future__ import annotations

# (official_id, name, rank, unit); county leaders' names are invented, the town's are the article's.
COUNTY = [
    ("cl-wang-jianguo", "王建国", "county", "县委常委、常务副县长"),
    ("cl-zhang-lixin", "张立新", "county", "县委常委、组织部部长"),
    ("cl-liu-wenbo", "刘文博", "county", "副县长"),
    ("cl-chen-zhiqiang", "陈志强", "county", "副县长"),
    ("cl-yang-xiaodong", "杨晓东", "county", "县人大常委会副主任"),
    ("cl-zhao-haifeng", "赵海峰", "county", "县政协副主席"),
    ("cl-zhou-minghui", "周明辉", "county", "高新区管委会主任"),
    ("cl-wu-guoqing", "吴国庆", "county", "县人大常委会副主任"),
    ("cl-sun-weimin", "孙卫民", "county", "县政协副主席"),
]
TOWN = [
    ("dc-hao-jinsong", "郝劲松", "township", "镇党委书记"),
    ("dc-xu-hang", "许航", "township", "镇党委副书记、镇长"),
    ("dc-li-junjie", "李俊杰", "township", "镇人大主席"),
    ("dc-li-wenping", "李文平", "township", "镇纪委书记"),
    ("dc-xue-heng", "薛恒", "township", "镇武装部长"),
    ("dc-tian-xinqing", "田新庆", "township", "镇宣传委员、园小二负责人"),
]
CADRES = [
    ("yxe-ma-xiaolong", "马晓龙", "cadre", "园小二政务服务点"),
    ("yxe-he-yutong", "贺雨桐", "cadre", "园小二政务服务点"),
]
ALL = COUNTY + TOWN + CADRES
PARTY_SECRETARY, MAYOR = TOWN[0][0], TOWN[1][0]
