"""GB/T 28181 device and channel identifiers (20 digits).

Digits 1–8 are the centre code (the GB/T 2260 administrative division of the place, then the base unit),
9–10 the industry (48 postal enterprise, 47 logistics), 11–13 the type, 14 the network and 15–20 a serial.
Example: 35030200 48 132 8 000001 — an IP camera of a postal enterprise in 涵江区, on a social-resources
network. A device (the DVR or NVR a site's cameras hang off, or an IP camera registered on its own) and a
channel (one camera) are both identified this way; only the type digits differ.
"""

from __future__ import annotations

from dataclasses import dataclass

from .text import is_ascii_digits, normalise_identifier

# GB/T 2260 province-level codes: the first two digits of every administrative division.
PROVINCES = frozenset({
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54,
    61, 62, 63, 64, 65, 71, 81, 82,
})

# Type codes (digits 11–13) of the front-end devices a site registers, and of the cameras on them.
DEVICE_TYPES = {
    111: "DVR", 112: "视频服务器", 113: "编码器", 114: "解码器", 115: "视频切换矩阵", 116: "音频切换矩阵",
    117: "报警控制器", 118: "NVR", 131: "摄像机", 132: "网络摄像机",
}
CHANNEL_TYPES = {131: "摄像机", 132: "网络摄像机"}
INDUSTRIES = {47: "物流", 48: "邮政寄递"}
NETWORKS = {0: "监控报警专网", 1: "监控报警专网", 2: "监控报警专网", 3: "监控报警专网", 4: "监控报警专网",
            5: "公安信息网", 6: "政务网", 7: "互联网", 8: "社会资源接入网"}


@dataclass(frozen=True)
class Gb28181Id:
    centre: str
    industry: int
    type_code: int
    network: int
    serial: str

    @property
    def type_label(self) -> str:
        return DEVICE_TYPES.get(self.type_code, str(self.type_code))

    @property
    def industry_label(self) -> str:
        return INDUSTRIES.get(self.industry, f"{self.industry:02d}")

    @property
    def network_label(self) -> str:
        return NETWORKS.get(self.network, str(self.network))


def normalise(value: str | None) -> str:
    """As typed: full-width digits, spaces (35030200 48 132 8 000001) and dashes do not make another id."""
    return normalise_identifier(value).replace("-", "")


def parse(value: str) -> Gb28181Id:
    value = normalise(value)
    return Gb28181Id(centre=value[:8], industry=int(value[8:10]), type_code=int(value[10:13]),
                     network=int(value[13]), serial=value[14:])


def id_problem(value: str | None, *, channel: bool) -> str | None:
    """None when `value` is a well-formed device (or, with `channel`, camera channel) id; else a reason key:
    length, digits, province, type, network."""
    value = normalise(value)
    if len(value) != 20:
        return "length"
    if not is_ascii_digits(value):
        return "digits"
    if int(value[:2]) not in PROVINCES:
        return "province"
    type_code = int(value[10:13])
    if type_code not in (CHANNEL_TYPES if channel else DEVICE_TYPES):
        return "type"
    if int(value[13]) > 8:
        return "network"
    return None
