"""The messages of the review commands and the web page: flags, `show`, `run`, `runs`, `serve`."""

from __future__ import annotations

from typing import Final

from pipeline.i18n.message import Message

#: `recon run`, `runs`, `flags`, `show`, `review` and `serve`.
REVIEW: Final[dict[str, Message]] = {
    # -- names of things ------------------------------------------------------------------------
    "severity.error": Message("错误", "error"),
    "severity.warning": Message("警告", "warning"),
    "severity.info": Message("提示", "info"),
    "status.open": Message("待审核", "open"),
    "status.confirmed": Message("已确认", "confirmed"),
    "status.dismissed": Message("已驳回", "dismissed"),
    # English rule names are the `--rule` values, so a table shows what to filter by.
    "rule.flow_identity": Message("资金收支平衡", "flow_identity"),
    "rule.children_sum": Message("子项目合计", "children_sum"),
    "rule.breakdown_sum": Message("分项合计", "breakdown_sum"),
    "rule.ratio": Message("比率", "ratio"),
    "rule.unit": Message("单位", "unit"),
    "rule.conflict": Message("前后矛盾", "conflict"),
    "rule.date": Message("年份", "date"),
    "rule.score": Message("评分", "score"),
    "fact.budget_initial": Message("年初预算", "initial budget"),
    "fact.carryover_in": Message("上年结转", "carry-over in"),
    "fact.transfer_in": Message("调入", "transfer in"),
    "fact.supplement": Message("追加", "supplement"),
    "fact.transfer_out": Message("调出", "transfer out"),
    "fact.reduction": Message("调减", "reduction"),
    "fact.budget_total": Message("全年预算", "total budget"),
    "fact.spent": Message("实际支出", "spent"),
    "fact.carryover_out": Message("结转结余", "carry-over out"),
    "fact.execution_rate": Message("执行率", "execution rate"),
    # the roles of the other numbers a relation holds
    "fact.total": Message("合计", "total"),
    "fact.part": Message("分项", "part"),
    "fact.target": Message("目标值", "target"),
    "fact.actual": Message("实际值", "actual"),
    "fact.rate": Message("完成率", "rate"),
    "fact.value": Message("比值", "value"),
    "fact.numerator": Message("分子", "numerator"),
    "fact.denominator": Message("分母", "denominator"),
    "fact.statement": Message("文中写明的金额", "statement"),
    "doc.ok": Message("成功", "ok"),
    "doc.failed": Message("失败", "failed"),
    "doc.skipped": Message("跳过（未改动）", "skipped (unchanged)"),
    # -- columns ---------------------------------------------------------------------------------
    "col.id": Message("编号", "id"),
    "col.severity": Message("严重程度", "severity"),
    "col.status": Message("状态", "status"),
    "col.rule": Message("规则", "rule"),
    "col.document": Message("文档", "document"),
    "col.subject": Message("对象", "subject"),
    "col.arithmetic": Message("算式", "arithmetic"),
    "col.message": Message("说明", "message"),
    "col.projects": Message("项目", "projects"),
    "col.indicators": Message("指标", "indicators"),
    "col.breakdowns": Message("分项", "breakdowns"),
    "col.flags": Message("标记", "flags"),
    "col.calls": Message("调用", "calls"),
    "col.tokens": Message("词元", "tokens"),
    "col.cache_hits": Message("缓存命中", "cache hits"),
    "col.ungrounded": Message("无出处", "ungrounded"),
    "col.started": Message("开始时间", "started"),
    "col.backend": Message("后端", "backend"),
    "col.model": Message("模型", "model"),
    "col.prompt": Message("提示词版本", "prompt version"),
    "col.documents": Message("文档数", "documents"),
    "col.new_flags": Message("新标记", "new flags"),
    "col.facts": Message("数字", "facts"),
    "col.cost": Message("用量（调用/词元）", "cost (calls/tokens)"),
    "col.duration": Message("用时", "duration"),
    "col.name": Message("名称", "name"),
    "col.parent": Message("上级项目", "parent"),
    "col.target": Message("目标值", "target"),
    "col.actual": Message("实际值", "actual"),
    "col.rate": Message("完成率", "rate"),
    "col.unit": Message("单位", "unit"),
    "col.total": Message("合计", "total"),
    "col.parts": Message("分项", "parts"),
    "col.decision": Message("审核意见", "decision"),
    "col.count": Message("数量", "count"),
    "col.coverage": Message("覆盖率", "coverage"),
    # -- `recon flags`, `recon show`, `recon review` ------------------------------------------------
    "flags.title": Message("共 {count} 条标记，最新在前", "{count} flag(s), newest first"),
    "show.head": Message("标记 #{id}", "flag #{id}"),
    "show.document": Message("文档：{name}（{path}）", "document: {name}  ({path})"),
    "show.coverage": Message(
        "覆盖率：{percent}（{total} 个金额中识别 {placed} 个）", "coverage: {percent} ({placed} of {total} money amounts placed)"
    ),
    "show.subject": Message("对象：{subject}", "subject:  {subject}"),
    "show.difference": Message("差额 {value}", "difference {value}"),
    "show.tolerance": Message("允许误差 {value}", "tolerance {value}"),
    "show.unit": Message("单位 {value}", "unit {value}"),
    "show.match": Message("比较方式 {value}", "match {value}"),
    "show.no_place": Message("出处：该标记未指向原文中的位置", "source: the flag points at no place in the text"),
    "show.passage": Message("原文，第 {start}–{end} 字：", "source, characters {start}–{end}:"),
    "show.stored": Message("存储的数字（原文已不可用）：", "the numbers as stored (the source is unavailable):"),
    "show.stored_number": Message("{subject} · {key}：{text}", "{subject} · {key}: {text}"),
    "show.reread": Message("模型复读：{outcome}（{note}）", "re-read by the model: {outcome} ({note})"),
    "show.reread_numbers": Message("复读前 {before}；复读后 {after}", "before {before}; after {after}"),
    "reread.corrected": Message("已更正", "corrected"),
    "reread.confirmed": Message("复读确认", "confirmed by re-read"),
    "reread.unresolved": Message("未解决", "unresolved"),
    "show.skipped": Message("本文档中相关的未检查项：", "skipped checks of this document that bear on it:"),
    "show.model_notes": Message("模型的不同读法（未作为事实存储）：", "model readings not stored as facts:"),
    "show.decision": Message("审核：{status}，{by}，{at}", "decision: {status} by {by} at {at}"),
    "show.decide_hint": Message(
        "审核：recon review {id} --confirm | --dismiss [--note 说明]",
        "decide: recon review {id} --confirm | --dismiss [--note TEXT]",
    ),
    "source.unreadable": Message("无法重新读取原文：{reason}", "cannot re-read the source: {reason}"),
    "source.changed": Message("原文自运行后已改动", "source changed since the run"),
    "review.done": Message("标记 #{id} {status}，审核人 {by}，时间 {at}", "flag #{id} {status} by {by} at {at}"),
    "review.one_of": Message(
        "请只给出 --confirm、--dismiss、--reopen 中的一个", "give exactly one of --confirm, --dismiss, --reopen"
    ),
    "error": Message("错误：{message}", "Error: {message}"),
    "flag.not_found": Message("没有编号为 {id} 的标记；`recon flags` 列出全部标记",
                              "no flag with id {id}; `recon flags` lists them"),
    "db.missing": Message(
        "{path} 处没有数据库：请先运行 `recon run 路径`，或用 --db 指定",
        "no database at {path}: run `recon run PATH` first, or pass --db",
    ),
    # -- `recon run` and `recon runs` -------------------------------------------------------------
    "run.title": Message("recon 运行 {id}", "recon run {id}"),
    "run.summary": Message(
        "{documents}：{ok} 个成功，{failed} 个失败，{skipped} 个跳过；{flags}（{new}）；{backend}",
        "{documents}: {ok} ok, {failed} failed, {skipped} skipped; {flags} ({new}); {backend}",
    ),
    "run.documents": Message("{count} 个文档", "{count} document{s}"),
    "run.flags": Message("{count} 条标记", "{count} flag{s}"),
    "run.new_errors": Message("新错误 {count} 条", "{count} new error{s}"),
    "run.new_warnings": Message("新警告 {count} 条", "{count} new warning{s}"),
    "run.low_coverage": Message(
        "警告：{document}：覆盖率 {percent}（{total} 个金额中识别 {placed} 个），版式可能未被理解，请人工核对其数据",
        "warning: {document}: coverage {percent} ({placed} of {total} money amounts placed): its layout "
        "may not be understood; review its facts by hand",
    ),
    "run.not_sent": Message(
        "失败：另有 {count} 个文档未发送给拒绝请求的模型服务器（下次运行时重试）",
        "failed: {count} more document{s} not sent to the refusing model server (retried by the next run)",
    ),
    "run.open_errors": Message("未审定的错误 {count} 条", "{count} open error{s} undecided"),
    "run.to_review": Message(
        "{flags}待审核——退出码 3 表示有 --fail-on {fail_on} 及以上、尚无人审定的标记，并非运行失败；"
        "用 `recon flags --status open` 查看，或用 `recon serve` 在浏览器中审核",
        "{flags} to review — exit 3 means open flags at --fail-on {fail_on} or worse that nobody has "
        "decided on, not a failure; list them with `recon flags --status open` or review them in "
        "the browser with `recon serve`",
    ),
    "backend.fixed": Message("后端 {backend}（--backend/RECON_BACKEND）", "backend {backend} (--backend/RECON_BACKEND)"),
    "backend.auto_llm": Message(
        "后端 llm——自动选择：模型 {model}，地址 {url}", "backend llm — auto picked it: model {model} at {url}"
    ),
    "backend.auto_local": Message(
        "后端 local——自动选择：模型文件 {path}", "backend local — auto picked it: model file {path}"
    ),
    "backend.auto_rules": Message("后端 rules——未配置大模型", "backend rules — no LLM configured"),
    "runs.title": Message("共 {count} 次运行", "{count} run(s)"),
    "runs.none": Message("数据库中还没有运行记录", "the database holds no runs yet"),
    "run_status.running": Message("运行中", "running"),
    "run_status.finished": Message("已完成", "finished"),
    "run_status.aborted": Message("已中断", "aborted"),
    # -- `recon serve` ---------------------------------------------------------------------------
    "serve.listening": Message("recon serve：在浏览器中打开 {url}", "recon serve: open {url} in a browser"),
    "serve.no_auth": Message(
        "警告：绑定到 {host}，其他计算机也能访问，且没有身份验证；请用 --token 设置访问口令",
        "warning: bound to {host}, reachable from other machines, with no authentication; "
        "give --token to require one",
    ),
    "serve.token_on": Message(
        "每个请求都需要口令：在网址后加 ?token=口令（浏览器会记住），或发送 Authorization: Bearer 口令",
        "every request needs the token: add ?token=TOKEN to the address (the browser keeps it), "
        "or send Authorization: Bearer TOKEN",
    ),
    "serve.unauthorized": Message("需要访问口令", "a token is required"),
    "serve.not_found": Message("没有这个页面", "no such page"),
    "serve.missing_extra": Message(
        "recon serve 需要 fastapi、uvicorn 和 jinja2：pip install fastapi uvicorn jinja2（{reason}）",
        "recon serve needs fastapi, uvicorn and jinja2: pip install fastapi uvicorn jinja2 ({reason})",
    ),
    "web.title": Message("recon 审核", "recon review"),
    "web.nav_flags": Message("标记", "Flags"),
    "web.nav_runs": Message("运行记录", "Runs"),
    "web.language": Message("English", "中文"),
    "web.flags_heading": Message("标记", "Flags"),
    "web.latest_run": Message("最近一次运行：#{id}", "latest run: #{id}"),
    "web.all": Message("全部", "all"),
    "web.filter": Message("筛选", "Filter"),
    "web.by_rule": Message("按规则", "by rule"),
    "web.by_status": Message("按状态", "by status"),
    "web.shown": Message("显示 {count} 条", "{count} shown"),
    "web.no_flags": Message("没有符合条件的标记", "no flags match"),
    "web.flag_heading": Message("标记 #{id}", "Flag #{id}"),
    "web.arithmetic": Message("算式", "Arithmetic"),
    "web.sources": Message("原文出处", "Source passages"),
    "web.decide": Message("审核", "Decide"),
    "web.note": Message("说明（可选）", "note (optional)"),
    "web.confirm": Message("确认有误", "Confirm"),
    "web.dismiss": Message("驳回（误报）", "Dismiss"),
    "web.reopen": Message("重新打开", "Reopen"),
    "web.no_decision": Message("尚未审核", "not decided yet"),
    "web.saved": Message("已保存", "saved"),
    "web.document_heading": Message("文档：{name}", "Document: {name}"),
    "web.coverage": Message(
        "覆盖率：{placed}/{total} 个金额已识别（{percent}）", "coverage: {placed} of {total} money amounts placed ({percent})"
    ),
    "web.coverage_none": Message("覆盖率：文中没有金额", "coverage: the text holds no money amounts"),
    "web.no_result": Message("该文档没有已处理的结果", "this document has no processed result"),
    "web.text": Message("原文", "Text"),
    "web.runs_heading": Message("运行记录", "Runs"),
    "web.skipped": Message("相关的未检查项", "Skipped checks that bear on it"),
    "web.open_document": Message("查看文档", "open the document"),
}
