"""Tiny DuRecDial 2.0 raw files written by the tests, in the published format (one JSON dialog per line).

English knowledge is one flat [s, r, o] triple or [] per utterance; Chinese knowledge a list of triples; "[n]"
prefixes mark goal starts; Chinese text is word-segmented.
"""

from __future__ import annotations

import json
from pathlib import Path


def greeting_dialog(lang: str) -> dict:
    """Bot speaks first (first goal Greetings): 5 utterances, bot at 0, 2, 4."""
    en = lang == "en"
    return {
        "goal": "[1]Greetings-->[2] Movie recommendation(Paper Moons)-->[3]Say goodbye" if en
        else "[1] 寒暄-->[2] 电影 推荐 ( 纸月亮 )-->[3] 再见",
        "user_profile": {"Name": "Lin Qiao", "Accepted movies": ["Paper Moons"]} if en
        else {"姓名": "林乔", "喜欢 的 电影": ["纸月亮"]},
        "conversation": (
            ["[1] Hello, Lin Qiao!", "Hi there.", "[2] Have you seen Paper Moons?", "Not yet.", "[3] Bye then!"] if en
            else ["[1] 你好 ， 林乔 ！", "你好 。", "[2] 你 看过 纸月亮 吗 ？", "还 没有 。", "[3] 那 再见 啦 ！"]
        ),
        "goal_type_list": (["Greetings"] * 2 + ["Movie recommendation"] * 2 + ["Say goodbye"]) if en
        else (["寒暄"] * 2 + ["电影 推荐"] * 2 + ["再见"]),
        "goal_topic_list": (["Greetings"] * 2 + ["Paper Moons"] * 2 + ["Say goodbye"]) if en
        else (["寒暄"] * 2 + ["纸月亮"] * 2 + ["再见"]),
        "situation": "Time: 2020-01-01 Friday" if en else "聊天 时间 : 2020 - 01 - 01 星期五",
        "knowledge": (
            [[], [], ["Paper Moons", "Director", "Ada Wu"], [], []] if en
            else [[], [], [["纸月亮", "导演", "吴艾达"], ["纸月亮", "类型", "喜剧"]], [], []]
        ),
    }


def weather_dialog(lang: str) -> dict:
    """User speaks first (first goal is not Greetings): 4 utterances, bot at 1 and 3."""
    en = lang == "en"
    return {
        "goal": "[1]Ask about weather-->[2]Say goodbye" if en else "[1] 问 天气-->[2] 再见",
        "user_profile": {"Name": "Bo Yan"} if en else {"姓名": "柏岩"},
        "conversation": (
            ["[1] How is the weather?", "Sunny, 20 degrees.", "[2] Thanks, bye.", "Bye!"] if en
            else ["[1] 天气 怎么样 ？", "晴天 ， 20 度 。", "[2] 谢谢 ， 再见 。", "再见 ！"]
        ),
        "goal_type_list": ["Ask about weather"] * 2 + ["Say goodbye"] * 2 if en else ["问 天气"] * 2 + ["再见"] * 2,
        "goal_topic_list": ["Ask about weather"] * 2 + ["Say goodbye"] * 2 if en else ["问 天气"] * 2 + ["再见"] * 2,
        "situation": "Time: 2020-01-02" if en else "聊天 时间 : 2020 - 01 - 02",
        "knowledge": (
            [[], ["Hangzhou", "2020-01-02", "Sunny, 20"], [], []] if en
            else [[], [["杭州", "2020-01-02", "晴 , 20"]], [], []]
        ),
    }


def write_split(folder: Path, stem: str, dialogs_by_lang: dict[str, list[dict]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for lang, dialogs in dialogs_by_lang.items():
        lines = [json.dumps(dialog, ensure_ascii=False) for dialog in dialogs]
        (folder / f"{lang}_{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_parallel(folder: Path, stem: str = "dev", dialogs: tuple = (greeting_dialog, weather_dialog)) -> Path:
    """Writes en_<stem>.txt and zh_<stem>.txt, one line per dialog factory, and returns the folder."""
    write_split(folder, stem, {lang: [make(lang) for make in dialogs] for lang in ("en", "zh")})
    return folder
