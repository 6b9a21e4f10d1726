"""Geography for routing: regions, names, address parsing, coordinates, distances."""

from __future__ import annotations

import pytest

from orderhub.geo import (
    Geo,
    GeoError,
    ParsedAddress,
    default_geo,
    haversine_km,
    normalize_city,
    normalize_province,
    parse_address,
)


@pytest.fixture(scope="module")
def geo() -> Geo:
    return default_geo()


def test_data_covers_all_provinces_and_prefectures(geo: Geo) -> None:
    assert len(geo.provinces()) == 34
    prefectures = [c for c in geo.cities() if c.kind == "prefecture"]
    assert len(prefectures) >= 333
    regions = {p.region for p in geo.provinces()}
    assert regions == {"华东", "华南", "华北", "华中", "西南", "西北", "东北"}
    assert len(geo.cities("广东")) == 21
    assert all(-90 < c.lat < 90 and 70 < c.lon < 136 for c in geo.cities())


@pytest.mark.parametrize(
    ("address", "region"),
    [
        ("广东省广州市天河区天河路385号", "华南"),
        ("上海市浦东新区张江路", "华东"),
        ("新疆维吾尔自治区乌鲁木齐市天山区", "西北"),
        ("黑龙江省哈尔滨市南岗区", "东北"),
        ("哈尔滨市道里区中央大街", "东北"),
        ("成都市武侯区", "西南"),
        ("武汉市洪山区", "华中"),
        ("北京朝阳区建国路88号", "华北"),
    ],
)
def test_address_routes_to_region(geo: Geo, address: str, region: str) -> None:
    assert geo.region_of_address(address) == region
    parsed = parse_address(address)
    assert geo.region_of(parsed.province, parsed.city) == region


def test_short_and_full_names_are_equal(geo: Geo) -> None:
    # Taobao/PDD send "广东省", JD sends "广东"
    assert geo.region_of("广东") == geo.region_of("广东省") == "华南"
    assert geo.province("广西") == geo.province("广西壮族自治区")
    assert geo.province("内蒙古").name == "内蒙古自治区"
    assert geo.city("广州") == geo.city("广州市")
    assert normalize_province("新疆") == "新疆维吾尔自治区"
    assert normalize_province("香港") == "香港特别行政区"
    assert normalize_province("  上海 ") == "上海市"
    assert normalize_city("恩施") == "恩施土家族苗族自治州"
    assert normalize_city("恩施州") == "恩施土家族苗族自治州"
    assert normalize_city("市辖区", province="上海") == "上海市"
    assert normalize_city("北京") == "北京市"
    assert normalize_province("火星") is None and normalize_city("火星市") is None


def test_region_from_city_when_province_missing(geo: Geo) -> None:
    assert geo.region_of(None, "乌鲁木齐") == "西北"
    assert geo.region_of("", "深圳市") == "华南"
    assert geo.region_of(None, None) is None


def test_city_place_fields(geo: Geo) -> None:
    sz = geo.city("深圳")
    assert (sz.name, sz.short, sz.province, sz.region) == ("深圳市", "深圳", "广东省", "华南")
    assert abs(sz.lat - 22.54) < 0.2 and abs(sz.lon - 114.06) < 0.2
    jilin_city = geo.city("吉林", province="吉林省")
    assert jilin_city.name == "吉林市"


PARSE_TABLE = [
    ("广东省广州市天河区天河路385号", ("广东省", "广州市", "天河区", "天河路385号")),
    ("广州天河区体育西路", ("广东省", "广州市", "天河区", "体育西路")),
    ("上海市浦东新区张江路", ("上海市", "上海市", "浦东新区", "张江路")),
    ("北京朝阳区建国路88号", ("北京市", "北京市", "朝阳区", "建国路88号")),
    ("重庆市渝中区解放碑", ("重庆市", "重庆市", "渝中区", "解放碑")),
    ("内蒙古呼和浩特市新城区", ("内蒙古自治区", "呼和浩特市", "新城区", None)),
    ("新疆维吾尔自治区乌鲁木齐市天山区", ("新疆维吾尔自治区", "乌鲁木齐市", "天山区", None)),
    ("恩施州利川市", ("湖北省", "恩施土家族苗族自治州", "利川市", None)),
    ("杭州市西湖区文三路90号", ("浙江省", "杭州市", "西湖区", "文三路90号")),
    ("吉林市船营区北京路", ("吉林省", "吉林市", "船营区", "北京路")),
    ("吉林省长春市朝阳区人民大街", ("吉林省", "长春市", "朝阳区", "人民大街")),
    ("上海 上海市 徐汇区 漕溪北路", ("上海市", "上海市", "徐汇区", "漕溪北路")),
    ("中国广东省深圳市南山区科技园", ("广东省", "深圳市", "南山区", "科技园")),
    ("青海省海南州共和县", ("青海省", "海南藏族自治州", "共和县", None)),
    ("海南省三亚市吉阳区", ("海南省", "三亚市", "吉阳区", None)),
    ("湖北省仙桃市干河街道", ("湖北省", "仙桃市", None, "干河街道")),
    ("广东省东莞市长安镇", ("广东省", "东莞市", None, "长安镇")),
    ("辽宁省朝阳市双塔区", ("辽宁省", "朝阳市", "双塔区", None)),
    ("江苏省苏州市昆山市前进路", ("江苏省", "苏州市", "昆山市", "前进路")),
    ("浙江省宁波市慈溪市", ("浙江省", "宁波市", "慈溪市", None)),
    ("内蒙古自治区锡林郭勒盟正蓝旗", ("内蒙古自治区", "锡林郭勒盟", "正蓝旗", None)),
    ("广西南宁市青秀区民族大道", ("广西壮族自治区", "南宁市", "青秀区", "民族大道")),
    ("香港特别行政区九龙城区", ("香港特别行政区", "香港特别行政区", "九龙城区", None)),
    ("浦东新区张江路", ("上海市", "上海市", "浦东新区", "张江路")),
    ("广东省天河区珠江新城", ("广东省", "广州市", "天河区", "珠江新城")),
    ("山东省莱芜市莱城区", ("山东省", "济南市", "莱城区", None)),
    ("广东省广州市广州市天河区", ("广东省", "广州市", "天河区", None)),
    ("云南省西双版纳州景洪市", ("云南省", "西双版纳傣族自治州", "景洪市", None)),
    ("北京市市辖区海淀区中关村", ("北京市", "北京市", "海淀区", "中关村")),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_TABLE, ids=[t for t, _ in PARSE_TABLE])
def test_parse_address_table(text: str, expected: tuple) -> None:
    assert parse_address(text) == ParsedAddress(*expected)


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "asdf!!!", "12345678", "？？？", "北京路步行街", "朝阳区建国路", "中国",
     "省市区县", "\x00\x01", "区" * 50],
)
def test_garbage_returns_nones(garbage: str) -> None:
    parsed = parse_address(garbage)
    assert (parsed.province, parsed.city, parsed.district) == (None, None, None)


@pytest.mark.parametrize("not_text", [None, 42, b"\xe5\xb9\xbf\xe4\xb8\x9c", ["广东"]])
def test_non_text_input_returns_nones(not_text: object) -> None:
    assert parse_address(not_text) == ParsedAddress(None, None, None, None)  # type: ignore[arg-type]


def test_distances(geo: Geo) -> None:
    sh_bj = geo.distance_km("上海", "北京")
    assert abs(sh_bj - 1070) / 1070 < 0.05
    gz_sz = geo.distance_km(geo.city("广州"), geo.city("深圳"))
    assert 95 < gz_sz < 115
    assert haversine_km((31.23, 121.47), (31.23, 121.47)) == 0
    assert geo.distance_km("上海", "火星") is None
    # district-level coordinates differ from the city centre
    assert geo.coords("上海", "上海市", "浦东新区") != geo.coords("上海", "上海市")


def test_coords_fall_back_from_district_to_city_to_capital(geo: Geo) -> None:
    assert geo.coords("广东", "广州", "不存在区") == geo.city("广州").coords
    assert geo.coords("广东省") == geo.city("广州市").coords
    assert geo.coords("北京") == geo.city("北京市").coords
    assert geo.coords("火星") is None


def test_config_moves_province_to_another_region(geo: Geo) -> None:
    custom = geo.with_regions({"华中": ["江西省", "安徽"], "西北": ["西藏"]})
    assert custom.region_of("江西") == "华中"
    assert custom.region_of("安徽省") == "华中"
    assert custom.region_of_address("拉萨市城关区") == "西北"
    assert custom.city("南昌").region == "华中"
    assert custom.region_of("广东") == "华南"  # untouched provinces keep their default
    assert geo.region_of("江西") == "华东"  # the default Geo is not changed
    assert "江西省" in custom.regions["华中"]


def test_config_bad_province_names_it_and_suggests(geo: Geo) -> None:
    with pytest.raises(GeoError) as err:
        geo.with_regions({"华南": ["广东", "广冬省"]}, source="workspace.yaml")
    message = str(err.value)
    assert "workspace.yaml" in message and "'广冬省'" in message and "广东省" in message


def test_config_province_in_two_regions_is_an_error(geo: Geo) -> None:
    with pytest.raises(GeoError, match="江西省"):
        geo.with_regions({"华中": ["江西"], "华东": ["江西省"]})
