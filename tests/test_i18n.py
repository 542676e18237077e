"""Chinese by default, English on request: the report, `recon eval`, errors and the checker's words.

`recon report` and `recon eval` run through the real CLI app with RECON_LANG unset (Chinese),
with `--lang en` and with RECON_LANG=en. A rendered Chinese report is scanned for English words
that come from neither the documents nor their file names: any is a string that skipped the
message table. The conftest sets RECON_LANG=en for the other tests; these unset it.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _review_data import HOSTILE_TEXT, PLAIN_TEXT, Sample, make_sample
from test_cli_eval import TEXT
from typer.testing import CliRunner, Result

from pipeline.check.run import check
from pipeline.cli.main import app
from pipeline.errors import ConfigError, IngestError, ReconError
from pipeline.i18n import MESSAGES, PARTS, Phrase, phrase, text
from pipeline.ingest.read import ingest
from pipeline.review.flagtext import details_text, skipped_reason
from schemas import DocumentExtraction, Project, Span, StatedNumber
from schemas.extraction import FactKey

runner = CliRunner()
#: Words of four or more ASCII letters.
_WORD = re.compile(r"[A-Za-z]{4,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")


class _VisibleText(HTMLParser):
    """The text a reader sees: no <script> or <style>, attributes ignored, plus the <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.pieces.append(data)


def _visible(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    parser.close()
    return " ".join(parser.pieces)


def _untranslated(page: str, data: list[str]) -> set[str]:
    """English words on the page that none of `data` (document text, paths, run metadata) holds."""
    from_data = {word.lower() for item in data for word in _WORD.findall(item)}
    # names that stay as they are in Chinese: the tool, its backends, formats
    names = {"recon", "rules", "local", "html", "docx", "json"}
    return {w for w in _WORD.findall(_visible(page)) if w.lower() not in from_data | names}


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path)


def _report(sample: Sample, out: Path, *args: str, env: dict[str, str | None] | None = None) -> str:
    result = runner.invoke(
        app, [*args, "report", "--db", str(sample.db_path), "--out", str(out)],
        env={"RECON_LANG": None, **(env or {})},
    )
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def _data(sample: Sample) -> list[str]:
    return [HOSTILE_TEXT, PLAIN_TEXT, str(sample.db_path), str(sample.hostile_path), str(sample.plain_path)]


def test_report_is_chinese_by_default_with_nothing_left_in_english(sample: Sample, tmp_path: Path) -> None:
    page = _report(sample, tmp_path / "zh.html")
    assert '<html lang="zh-CN">' in page
    assert "概要" in page and "标记（3）" in page and "按规则和严重程度统计的标记" in page
    assert "资金收支平衡" in page and "待审核" in page  # rule and status names
    assert _untranslated(page, _data(sample)) == set()


def test_report_is_english_with_lang_en_and_with_recon_lang(sample: Sample, tmp_path: Path) -> None:
    by_flag = _report(sample, tmp_path / "flag.html", "--lang", "en")
    by_env = _report(sample, tmp_path / "env.html", env={"RECON_LANG": "en"})
    for page in (by_flag, by_env):
        assert '<html lang="en">' in page
        assert "Summary" in page and "Flags (3)" in page and "Flags by rule and severity" in page
        assert "概要" not in page
        # the scan that finds nothing in Chinese finds the English words here: it can fail
        assert {"Summary", "Documents", "source"} <= _untranslated(page, _data(sample))


def _eval_output(tmp_path: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    docs, gold = tmp_path / "docs", tmp_path / "gold"
    if not docs.exists():
        docs.mkdir()
        gold.mkdir()
        (docs / "t.txt").write_text(TEXT, encoding="utf-8")
        drafted = runner.invoke(
            app, ["--lang", "en", "gold", "draft", str(docs / "t.txt"), "--out", str(gold / "t.gold.json"),
                  "--backend", "rules"],
        )
        assert drafted.exit_code == 0, drafted.output
        assert drafted.output.startswith("wrote ")
    floor = tmp_path / "floor.json"
    floor.write_text(json.dumps({"projects.f1": 1.5}), encoding="utf-8")
    return runner.invoke(
        app,
        [*args, "eval", "--docs", str(docs), "--gold", str(gold), "--backend", "rules", "--allow-draft",
         "--floor", str(floor)],
        env={"RECON_LANG": None, "COLUMNS": "200", **(env or {})},
    )


def test_eval_prints_chinese_by_default_and_english_on_request(tmp_path: Path) -> None:
    zh = _eval_output(tmp_path)
    assert zh.exit_code == 1  # the floor of 1.5 cannot be met
    for words in ("recon 评估", "项目 精确率", "总体", "按规则", "低于下限：", "projects.f1：1.0000 低于下限 1.5"):
        assert words in zh.output, words
    assert "below the floor" not in zh.output and "overall" not in zh.output
    for en in (_eval_output(tmp_path, "--lang", "en"), _eval_output(tmp_path, env={"RECON_LANG": "en"})):
        assert en.exit_code == 1
        for words in ("recon eval", "projects P", "overall", "flags by rule", "below the floor:",
                      "projects.f1: 1.0000 < floor 1.5"):
            assert words in en.output, words
        assert "低于下限" not in en.output


def test_a_recon_error_prints_in_both_languages(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    zh = runner.invoke(app, ["eval", "--docs", str(missing), "--gold", str(tmp_path)], env={"RECON_LANG": None})
    en = runner.invoke(app, ["--lang", "en", "eval", "--docs", str(missing), "--gold", str(tmp_path)])
    assert zh.exit_code == en.exit_code == 2
    assert zh.stderr == f"错误：--docs {missing} 不是文件夹\n"
    assert en.stderr == f"Error: --docs {missing} is not a directory\n"


def test_an_unreadable_file_is_named_in_either_language(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(IngestError) as caught:
        ingest(empty, max_bytes=1000)
    error = caught.value
    assert str(error) == f"{empty}: empty file" and error.reason == "empty file"  # English: logs, JSON
    assert error.in_lang("zh") == f"{empty}：空文件"
    assert error.in_lang("en") == f"{empty}: empty file"
    assert "\n" not in error.in_lang("zh")


def test_several_settings_errors_join_on_one_line() -> None:
    error = ConfigError([phrase("config.not_allowed", name="A", value="'x'", allowed="1"),
                         phrase("config.llm_not_configured")])
    assert str(error).count("; ") == 1 and "\n" not in str(error)
    assert error.in_lang("zh").startswith("A='x' 不是允许的值：应为 1；llm 后端未配置")
    plain = ReconError("said in English only")
    assert plain.in_lang("zh") == "said in English only"


def _number(text: str, start: int) -> StatedNumber:
    return StatedNumber(
        text=text, normalized=text, value=Decimal(text), unit="万元", span=Span(start=start, end=start + len(text))
    )


def test_skip_reasons_and_flag_details_are_rendered_from_their_key() -> None:
    parent = Project(name="总项目", facts={FactKey.SPENT: [_number("10", 0)],
                                        FactKey.TRANSFER_IN: [_number("3", 5)]})
    children = [
        Project(name="甲", parent="总项目", facts={FactKey.SPENT: [_number("4", 10)],
                                                FactKey.TRANSFER_IN: [_number("3", 15)]}),
        Project(name="乙", parent="总项目", facts={FactKey.SPENT: [_number("2", 20)]}),
    ]
    report = check(DocumentExtraction(document="d.txt", projects=[parent, *children]))
    lacking = next(s for s in report.skipped if s.code == "skip.children_lacking")
    assert lacking.reason == "transfer_in: 1 of 2 sub-projects do not state it (乙)"  # JSON: stable English
    assert skipped_reason(lacking, "zh") == "调入：2 个子项目中有 1 个未写明（乙）"
    assert skipped_reason(lacking, "en") == lacking.reason
    flag = next(f for f in report.flags if f.details_code == "detail.children")
    assert flag.details == "spent of 总项目 = Σ spent of its 2 sub-projects"
    assert details_text(flag, "zh") == "总项目的实际支出 = 其 2 个子项目的实际支出之和"
    # an older stored result without a key still shows its English reason
    old = lacking.model_copy(update={"code": None, "params": {}})
    assert skipped_reason(old, "zh") == lacking.reason


def test_nested_phrases_and_translated_parameters() -> None:
    what = phrase("detail.conflict_project", fact="spent", project="甲")
    inner = what.within("skip.conflict_units")
    assert inner.render("zh") == "甲的实际支出：两处的单位无法换算"
    assert inner.english == "spent of 甲: stated in units that do not convert"
    units = phrase("skip.units", from_unit="万元", to_unit="")
    assert units.render("en").endswith("cannot convert 万元 to no unit")
    assert units.render("zh").endswith("万元 无法换算为 无单位")


def test_the_tables_share_no_key_and_every_phrase_key_exists() -> None:
    seen: dict[str, str] = {}
    for part, table in PARTS.items():
        for key in table:
            assert key not in seen, f"{key} is in {seen.get(key)} and {part}"
            seen[key] = part
    root = Path(__file__).resolve().parent.parent / "pipeline"
    asked: set[str] = set()
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r"""\b(?:phrase|Phrase|within)\(\s*["']([a-z_]+\.[a-z_.]+)["']""", source))
        asked |= set(re.findall(r"""["']((?:skip|detail|ingest|config|gold|eval|report)\.[a-z_]+)["']""", source))
    asked -= {"report.html"}  # a file name, not a key
    assert len(asked) > 60
    assert sorted(asked - set(MESSAGES)) == []


def test_every_chinese_message_is_chinese() -> None:
    """No zh entry is an English sentence left as it was (names, codes and placeholders aside)."""
    for key, message in MESSAGES.items():
        if key == "web.language":  # the switch names the other language: English on the Chinese page
            continue
        words = re.sub(r"\{[a-z_]+\}|`[^`]*`|--[a-z-]+|RECON_[A-Z_]+|recon|rules|llm|local", "", message.zh)
        if _WORD.search(words) and not _CJK.search(words):
            pytest.fail(f"{key}: {message.zh!r} reads as English")


def test_phrase_parameters_are_text() -> None:
    said = phrase("report.no_run", id=7)
    assert said == Phrase("report.no_run", {"id": "7"})
    assert text("report.no_run", "zh", id=7) == said.render("zh") == "没有编号为 7 的运行"
