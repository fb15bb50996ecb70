"""Bank files: the payout file in the bank's layout (yuan with two decimals from fen, cells
a spreadsheet would run defused, GBK where the bank wants it) and the return file read
whole or refused whole (a GBK file, a missing column, a duplicated or missing payment id,
an amount that is not an exact number of fen)."""

import pytest

from gonghui.funds import bankfile
from gonghui.funds.bankfile import BankFileError, ReturnLine
from tests.contests import top_level_imports

EXPORT = {
    "encoding": "gbk",
    "columns": [
        ["payment", "业务编号"],
        ["name", "户名"],
        ["account", "账号"],
        ["amount", "金额"],
        ["memo", "用途"],
    ],
}
RETURNS = {
    "columns": {
        "payment": "业务编号",
        "result": "处理结果",
        "reason": "失败原因",
        "amount": "金额",
    },
    "success": ["成功", "0000"],
}


def test_the_bank_files_need_nothing_but_the_standard_library_and_money():
    assert top_level_imports(bankfile) <= {
        "__future__",
        "collections",
        "csv",
        "gonghui",
        "io",
        "re",
        "typing",
    }


def test_the_payout_file_in_the_banks_layout():
    data = bankfile.export(
        EXPORT,
        [
            {
                "payment": "P-000001",
                "name": "王秀兰",
                "account": "6222000011112222",
                "amount": 120000,
                "memo": "春节慰问金",
            },
            {
                "payment": "P-000002",
                "name": "=HYPERLINK()",
                "account": "6222",
                "amount": 5,
                "memo": "",
            },
        ],
    )
    text = data.decode("gbk")
    assert text.splitlines() == [
        "业务编号,户名,账号,金额,用途",
        "P-000001,王秀兰,6222000011112222,1200.00,春节慰问金",
        "P-000002,'=HYPERLINK(),6222,0.05,",
    ]


def return_file(rows, encoding="utf-8"):
    head = "业务编号,处理结果,失败原因,金额\r\n"
    return (head + "".join(",".join(r) + "\r\n" for r in rows)).encode(encoding)


def test_a_return_file_in_gbk_or_utf8_is_read_line_by_line():
    rows = [
        ("P-000001", "成功", "", "1200.00"),
        ("P-000002", "失败", "Ⅱ类账户超过非绑定账户转入限额", "12000.00"),
        ("P-000003", "0000", "", ""),
    ]
    for encoding in ("gbk", "utf-8-sig"):
        assert bankfile.returns(RETURNS, return_file(rows, encoding)) == [
            ReturnLine(2, "P-000001", True, "", 120000),
            ReturnLine(3, "P-000002", False, "Ⅱ类账户超过非绑定账户转入限额", 1200000),
            ReturnLine(4, "P-000003", True, "", None),
        ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "空的"),
        ("业务编号,金额\r\nP-1,1.00\r\n".encode(), "缺少列：处理结果"),
        (
            return_file([("P-1", "成功", "", "1.00"), ("P-1", "成功", "", "1.00")]),
            "第 3 行：业务编号 P-1 与第 2 行重复",
        ),
        (return_file([("", "成功", "", "1.00")]), "第 2 行：缺少业务编号"),
        (return_file([("P-1", "成功", "", "1.005")]), "第 2 行：金额"),
        (b"\xff\xfe\x00\x00 not text", "编码无法识别"),
    ],
)
def test_a_malformed_return_file_is_refused_whole(data, message):
    with pytest.raises(BankFileError, match=message):
        bankfile.returns(RETURNS, data)
