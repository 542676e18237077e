"""The errors a user meets on the terminal, in both languages: one line each, naming the file.

Keys: `error.*` the frames of the error kinds, `ingest.*` why a file cannot be read,
`config.*` settings and command-line usage, `gold.*` gold files, `report.*` reports and
exports. `pipeline.errors.ReconError` keeps the key and its parameters (`Phrase`).
"""

from __future__ import annotations

from typing import Final

from pipeline.i18n.message import Message

ERRORS: Final[dict[str, Message]] = {
    # -- the frames ---------------------------------------------------------------------------------
    "error.file": Message("{path}：{reason}", "{path}: {reason}"),
    "error.gold": Message("{path}：在 {json_path} 处：{reason}", "{path}: at {json_path}: {reason}"),
    "error.chunk": Message(
        "第 {chunk} 段：{reason}（已尝试 {count} 次）", "chunk {chunk}: {reason} (after {count} attempt(s))"
    ),
    "error.model_refused": Message(
        "模型服务器拒绝了请求（{reason}）：请检查 RECON_API_KEY、RECON_BASE_URL 和 RECON_MODEL",
        "the model server refused the request ({reason}): check RECON_API_KEY, RECON_BASE_URL and RECON_MODEL",
    ),
    # -- why a file cannot be read -----------------------------------------------------------------
    "ingest.not_found": Message("文件不存在", "not found"),
    "ingest.permission": Message("没有读取权限", "permission denied"),
    "ingest.is_directory": Message("这是文件夹，不是文件", "is a directory, not a file"),
    "ingest.parent_is_file": Message("文件不存在（路径中的上级是文件）", "not found (a parent in the path is a file)"),
    "ingest.link_loop": Message("符号链接循环：已跳过", "symbolic link loop: skipped"),
    "ingest.broken_link": Message(
        "符号链接已失效（其目标 {target} 不存在）", "broken symbolic link (its target {target} does not exist)"
    ),
    "ingest.unreadable": Message("无法读取：{detail}", "cannot be read: {detail}"),
    "ingest.not_regular": Message(
        "不是普通文件（管道、设备或套接字）：只读取普通文件",
        "not a regular file (a FIFO, device or socket): only regular files are read",
    ),
    "ingest.unsupported": Message(
        "不支持的文件类型 {suffix}（支持：{supported}）", "unsupported file type {suffix} (supported: {supported})"
    ),
    "ingest.unread_doc": Message(
        "不读取旧版 Word .doc 文件：请另存为 .docx 或 PDF", "legacy Word .doc is not read: save it as .docx or PDF"
    ),
    "ingest.unread_wps": Message(
        "不读取 WPS 文字 .wps 文件：请另存为 .docx 或 PDF", "WPS Writer .wps is not read: save it as .docx or PDF"
    ),
    "ingest.unread_xls": Message(
        "不读取 .xls 电子表格：请将表格另存为 PDF，或粘贴到 .docx 中",
        "spreadsheet .xls is not read: save the sheet as PDF, or paste the table into the .docx",
    ),
    "ingest.unread_xlsx": Message(
        "不读取 .xlsx 电子表格：请将表格另存为 PDF，或粘贴到 .docx 中",
        "spreadsheet .xlsx is not read: save the sheet as PDF, or paste the table into the .docx",
    ),
    "ingest.unread_et": Message(
        "不读取 WPS 表格 .et 文件：请将表格另存为 PDF，或粘贴到 .docx 中",
        "WPS spreadsheet .et is not read: save the sheet as PDF, or paste the table into the .docx",
    ),
    "ingest.too_large": Message(
        "文件过大：{size} MB，超过上限 {limit} MB（可调高 RECON_MAX_FILE_BYTES）",
        "file too large: {size} MB > limit {limit} MB (raise RECON_MAX_FILE_BYTES)",
    ),
    "ingest.grew": Message(
        "文件过大：读取时增长超过了上限 {limit} MB", "file too large: grew past the limit of {limit} MB"
    ),
    "ingest.kept_growing": Message(
        "读取时文件仍在变大；请在文件写完后重试", "the file kept growing while it was read; try again when it is complete"
    ),
    "ingest.empty": Message("空文件", "empty file"),
    "ingest.no_text": Message("没有文字：文件只含空白或标记", "no text: the file holds only whitespace or markup"),
    "ingest.binary": Message("不是文本文件：内容为二进制", "not a text file: binary content"),
    "ingest.no_text_layer": Message(
        "PDF 没有文字层——可能是扫描件？不支持文字识别（OCR）", "no text layer — scanned? OCR is not supported"
    ),
    "ingest.not_docx": Message(
        "DOCX 已损坏：不是 Word .docx 文件包（旧版 .doc 或改了扩展名？）",
        "corrupt DOCX: not a Word .docx package (legacy .doc or renamed file?)",
    ),
    "ingest.encrypted_pdf": Message("PDF 已加密：需要密码", "encrypted PDF: a password is required"),
    "ingest.corrupt_pdf": Message("PDF 已损坏：{detail}", "corrupt PDF: {detail}"),
    "ingest.corrupt_docx": Message("DOCX 已损坏：{detail}", "corrupt DOCX: {detail}"),
    # -- settings and command-line usage ---------------------------------------------------------
    "config.not_allowed": Message(
        "{name}={value} 不是允许的值：应为 {allowed}", "{name}={value} is not allowed: expected {allowed}"
    ),
    "config.llm_not_configured": Message(
        "llm 后端未配置：请设置 RECON_BASE_URL 和 RECON_MODEL（或 --base-url/--model），或使用 --backend rules",
        "the llm backend is not configured: set RECON_BASE_URL and RECON_MODEL (or --base-url/--model), "
        "or use --backend rules",
    ),
    "config.document_ambiguous": Message(
        "--document {query} 有歧义：{count} 个文档{how}：{listed}",
        "--document {query} is ambiguous: {count} documents {how} it: {listed}",
    ),
    "config.document_start": Message("以它开头", "start with"),
    "config.document_contain": Message("包含它", "contain"),
    "config.document_none": Message(
        "没有与 --document {query} 匹配的文档；{what}", "no document matches --document {query}; {what}"
    ),
    "config.document_empty": Message("数据库中还没有文档", "the database holds no documents yet"),
    "config.document_near": Message("您是否要找：{names}", "did you mean: {names}"),
    "config.document_list": Message("现有文档：{names}", "documents: {names}"),
    "config.not_a_folder": Message("--docs {path} 不是文件夹", "--docs {path} is not a directory"),
    "config.no_gold": Message("{path} 中没有 *.gold.json 文件", "no *.gold.json files in {path}"),
    "config.gold_orphans": Message(
        "{path} 中没有与这些金标准文件对应的文档：{names}", "no document in {path} for gold file(s): {names}"
    ),
    "config.bad_floor": Message(
        "下限文件：未知的指标或非数字的下限 {figure}：{value}",
        "floor file: unknown figure or non-numeric floor {figure}: {value}",
    ),
    "config.bad_json": Message("{option} {path}：{detail}", "{option} {path}: {detail}"),
    "config.not_an_object": Message("{option} {path}：应为 JSON 对象", "{option} {path}: expected a JSON object"),
    "config.cannot_draft": Message("无法为 {document} 起草金标准：{reason}", "cannot draft gold for {document}: {reason}"),
    "config.gold_exists": Message(
        "{path} 已存在；金标准文件从不覆盖（请用 --out 指定其他文件）",
        "{path} exists; gold files are never overwritten (pass another --out)",
    ),
    # -- gold files ----------------------------------------------------------------------------------
    "gold.duplicate_project": Message("项目名称 {name} 重复", "duplicate project name {name}"),
    "gold.no_parent": Message("没有名为 {name} 的项目", "no project is named {name}"),
    "gold.stem_mismatch": Message(
        "{document} 与文件名 {stem} 不一致", "{document} does not match the file name stem {stem}"
    ),
    "gold.invalid_json": Message(
        "JSON 无效：{detail}（第 {line} 行，第 {column} 列）", "invalid JSON: {detail} (line {line}, column {column})"
    ),
    "gold.cannot_read": Message("无法读取：{detail}", "cannot read: {detail}"),
    "gold.not_a_folder": Message("不是文件夹", "not a directory"),
    "gold.draft": Message(
        "金标准草稿（尚未核对）；如需使用请加 --allow-draft", "draft gold file (not yet checked); pass --allow-draft"
    ),
    # -- reports and exports -------------------------------------------------------------------------
    "report.no_runs": Message(
        "数据库中还没有运行记录：请先运行 `recon run 路径`", "the store has no run yet: run `recon run PATH` first"
    ),
    "report.no_run": Message("没有编号为 {id} 的运行", "no run with id {id}"),
    "report.cannot_write": Message("无法将报告写入 {path}：{detail}", "cannot write the report to {path}: {detail}"),
    "export.cannot_write": Message("无法将导出写入 {path}：{detail}", "cannot write the export to {path}: {detail}"),
}
