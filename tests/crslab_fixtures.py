"""Tiny releases of CRSLab's six datasets written by the tests, in the exact published formats.

CRSLab's processed form (JSON arrays of dialogs + id tables + KG files) for every dataset, and the original
releases where they exist: ReDial (`*_data.jsonl` + `movies_with_mentions.csv`), INSPIRED (19-column TSV),
DuRecDial 1.0 (JSON lines) and OpenDialKG (CSV with a JSON Messages column + triples). TG-ReDial and GoRecDial
have no other public data here, so their fixtures carry every field the releases have. All content is invented.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def uri(name: str) -> str:
    return f"<http://dbpedia.org/resource/{name}>"


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def utt(role: str, text: str, items: list[str] = (), entity: list[str] = (), word: list[str] = (),
        item_field: str = "movies", **extra) -> dict:
    """One utterance of CRSLab's processed form (`text` pre-tokenized)."""
    return {"role": role, "text": text.split(), item_field: list(items), "entity": list(entity), "word": list(word),
            **extra}


def tokens_of(dialogs: list[dict], key: str = "dialog") -> dict[str, int]:
    vocab = {"__pad__": 0, "__start__": 1, "__end__": 2, "__unk__": 3}
    for dialog in dialogs:
        for u in dialog[key]:
            for token in u["text"]:
                vocab.setdefault(token, len(vocab))
    return vocab


# ---- ReDial ---------------------------------------------------------------------------------------------------

PAPER_MOONS, NIGHT_TRAIN, GLASS_HOURS = uri("Paper_Moons"), uri("Night_Train_(1999_film)"), uri("Glass_Hours")
ADA_WU, COMEDY, NOBODY = uri("Ada_Wu"), uri("Comedy_film"), uri("Nobody_Known")
REDIAL_ENTITIES = {PAPER_MOONS: 1, ADA_WU: 2, COMEDY: 3, NIGHT_TRAIN: 4, GLASS_HOURS: 5}
REDIAL_MOVIE_IDS = {"111": PAPER_MOONS, "222": NIGHT_TRAIN, "333": GLASS_HOURS}


def redial_dialogs() -> list[dict]:
    """Dialog 101: the seeker opens with two messages (merged); an unknown entity and word; two gold items.
    Dialog 102: the recommender opens."""
    return [
        {"conv_id": "101", "dialog": [
            utt("Seeker", "hi", utt_id=0),
            utt("Seeker", "i like comedy movies", entity=[COMEDY], word=["comedy", "movie"], utt_id=1),
            utt("Recommender", "have you seen @111 ?", items=[PAPER_MOONS], word=["seen"], utt_id=2),
            utt("Seeker", "yes , with Ada Wu", entity=[ADA_WU, NOBODY], word=["zzz"], utt_id=3),
            utt("Recommender", "then try @222 or @111", items=[NIGHT_TRAIN, PAPER_MOONS], utt_id=4),
        ]},
        {"conv_id": "102", "dialog": [
            utt("Recommender", "hello", utt_id=0),
            utt("Seeker", "something funny please", word=["funny"], utt_id=1),
            utt("Recommender", "@333 is funny", items=[GLASS_HOURS], word=["funny"], utt_id=2),
        ]},
    ]


def write_redial_crslab(folder: Path, dialogs: list[dict] | None = None, stem: str = "valid") -> Path:
    dialogs = redial_dialogs() if dialogs is None else dialogs
    write_json(folder / f"{stem}_data.json", dialogs)
    write_json(folder / "entity2id.json", REDIAL_ENTITIES)
    write_json(folder / "movie_ids.json", [1, 4, 5])
    write_json(folder / "concept2id.json", {"comedy": 1, "movie": 2, "funny": 3, "seen": 4, "like": 5})
    write_json(folder / "token2id.json", tokens_of(dialogs))
    # Head ids out of order on purpose (CRSLab walks them in ascending order); a self-edge with relation 185.
    write_json(folder / "dbpedia_subkg.json", {"4": [[16, 2], [7, 3]], "1": [[16, 2], [185, 1], [7, 3]]})
    write_lines(folder / "conceptnet_subkg.txt", ["/r/RelatedTo\tcomedy/n\tfunny/a", "/r/IsA\tcomedy/n\tmovie/n"])
    return folder


def redial_raw_record(conversation_id: str = "101") -> dict:
    """The original-release record of dialog 101 (plus an empty message, which CRSLab's release leaves out)."""
    messages = [(7, "hi"), (7, "i like comedy movies"), (8, "have you seen @111 ?"), (8, "   "),
                (7, "yes, with Ada Wu"), (8, "then try @222 or @111")]
    return {
        "conversationId": conversation_id, "initiatorWorkerId": 7, "respondentWorkerId": 8,
        "movieMentions": {"111": "Paper Moons (2001)", "222": "Night Train (1999)"},
        "initiatorQuestions": {"111": {"suggested": 1, "seen": 1, "liked": 1}},
        "respondentQuestions": {"111": {"suggested": 1, "seen": 1, "liked": 1}},
        "messages": [{"timeOffset": 10 * i, "text": text, "senderWorkerId": sender, "messageId": 500 + i}
                     for i, (sender, text) in enumerate(messages)],
    }


def write_redial_raw(folder: Path, records: list[dict] | None = None, stem: str = "valid") -> Path:
    records = [redial_raw_record()] if records is None else records
    write_lines(folder / f"{stem}_data.jsonl", [json.dumps(r) for r in records])
    write_lines(folder / "movies_with_mentions.csv", ["movieId,movieName,nbMentions", "111,Paper Moons (2001),12",
                                                      '222,"Night Train, The (1999)",3', "333,Glass Hours (2010),1"])
    return folder


# ---- TG-ReDial ------------------------------------------------------------------------------------------------

KUNGFU, MOON_CITY = "功夫熊猫（2008）", "月亮之城（2015）"
TG_ENTITIES = {KUNGFU: 1, MOON_CITY: 2, "周一航": 3, "喜剧": 4, "动画": 5}
TG_TOPICS = {"喜剧": 1, "动画": 2, "周一航": 3}


def tg_message(local_id: int, role: str, text: str, target: list, movie: list[str] = (), entity: list[str] = (),
               word: list[str] = (), final: list | None = None) -> dict:
    return {"local_id": local_id, "role": role, "text": text.split(), "movie": list(movie), "entity": list(entity),
            "word": list(word), "target": target, "final": final or ["推荐电影", ["喜剧", None]]}


def tgredial_dialogs() -> list[dict]:
    """One dialog with every target form: null topics, a topic string, a topic list, an unknown topic, and the
    "推荐电影" action that CRSLab leaves out; the user has a history before message 4."""
    return [{"conv_id": 7, "user_id": "42", "messages": [
        tg_message(1, "Seeker", "你好 ， 想 看 电影", [1, "寒暄", None], word=["电影"]),
        tg_message(2, "Recommender", "喜欢 什么 类型 ？", [2, "请求推荐", "喜剧"], word=["喜欢", "类型"]),
        tg_message(3, "Seeker", "喜剧 和 动画 都 行", [3, "谈论", ["喜剧", "动画"], "谈论", "武侠"],
                   entity=["喜剧", "动画"]),
        tg_message(4, "Recommender", "推荐 《 功夫熊猫 》 ， 周一航 配音", [4, "推荐电影", "功夫熊猫", "谈论", "周一航"],
                   movie=[KUNGFU], entity=[KUNGFU, "周一航"], word=["推荐"]),
        tg_message(5, "Seeker", "好 的 谢谢", [5, "反馈，结束", None]),
    ]}]


def write_tgredial(folder: Path, dialogs: list[dict] | None = None, stem: str = "valid") -> Path:
    dialogs = tgredial_dialogs() if dialogs is None else dialogs
    write_json(folder / f"{stem}_data.json", dialogs)
    write_json(folder / "entity2id.json", TG_ENTITIES)
    write_json(folder / "topic2id.json", TG_TOPICS)
    write_json(folder / "word2id.json", {"电影": 1, "喜欢": 2, "类型": 3, "推荐": 4})
    write_json(folder / "movie_ids.json", [1, 2])
    write_json(folder / "token2id.json", tokens_of(dialogs, "messages"))
    write_json(folder / "user2history.json", {"7/4": [2], "7/5": [2, 99]})  # 99: an id entity2id lacks
    write_json(folder / "user2profile.json", {"42": [f"我 喜欢 第{i} 部 喜剧".split() for i in range(10)]})
    write_lines(folder / "cn-dbpedia.txt", [f"{KUNGFU}\t主演\t周一航", f"{KUNGFU}\t类型\t喜剧", f"{MOON_CITY}\t类型\t动画"])
    write_lines(folder / "hownet.txt", ["喜欢\trelated\t电影", "推荐\trelated\t喜欢"])
    return folder


# ---- GoRecDial ------------------------------------------------------------------------------------------------


def gorecdial_dialogs() -> list[dict]:
    """Alternating roles with an empty utterance (CRSLab skips it) and `decide` values of several JSON types."""
    return [{"dialog": [
        utt("Seeker", "hi , i watched @1 and @2 lately", items=[PAPER_MOONS, NIGHT_TRAIN], word=["watched"], decide=0),
        utt("Recommender", "", decide=0),
        utt("Seeker", "any ideas ?", decide=0),
        utt("Recommender", "try @3 , a comedy", items=[GLASS_HOURS], entity=[COMEDY], word=["comedy"], decide="1"),
        utt("Seeker", "ok", decide={"choice": 3}),
    ]}]


def write_gorecdial(folder: Path, dialogs: list[dict] | None = None, stem: str = "valid") -> Path:
    dialogs = gorecdial_dialogs() if dialogs is None else dialogs
    write_json(folder / f"{stem}_data.json", dialogs)
    write_json(folder / "entity2id.json", REDIAL_ENTITIES)
    write_json(folder / "movie_ids.json", [1, 4, 5])
    write_json(folder / "word2id.json", {"watched": 1, "comedy": 2})
    write_json(folder / "token2id.json", tokens_of(dialogs))
    write_lines(folder / "dbpedia_subkg.txt", [f"{PAPER_MOONS}\tstarring\t{ADA_WU}", f"{GLASS_HOURS}\tgenre\t{COMEDY}"])
    write_lines(folder / "conceptnet_subkg.txt", ["comedy\tRelatedTo\twatched"])
    return folder


# ---- INSPIRED -------------------------------------------------------------------------------------------------

INSPIRED_COLUMNS = [
    "dialog_id", "utt_id", "speaker", "turn_id", "text", "text_with_placeholder", "movies", "genres", "people_names",
    "movie_dict", "genre_dict", "actor_dict", "director_dict", "others_dict", "expert_label", "second_label",
    "fine_label", "coarse_label", "movie_id",
]


def inspired_row(dialog_id: str, utt_id: int, speaker: str, text: str, movies: str = "", genres: str = "",
                 people: str = "", label: str = "") -> list[str]:
    return [dialog_id, str(utt_id), speaker, str(utt_id), text, text.replace("QUOTATION_MARK", '"'), movies, genres,
            people, "{'Paper Moons (2001)': 0}", "{'comedy': 0}", "{}", "{}", "", label, "", "accept", "accept",
            "Ab3_trailer"]


def inspired_rows() -> list[list[str]]:
    """Dialog d1: the recommender sends two rows in a row (merged), movies ";"-separated with extra spaces."""
    return [
        inspired_row("d1.pkl", 1, "RECOMMENDER", "Hi there!", label="no_strategy"),
        inspired_row("d1.pkl", 2, "RECOMMENDER", "What do you like?", label="opinion_inquiry"),
        inspired_row("d1.pkl", 3, "SEEKER", "I loved QUOTATION_MARKPaper MoonsQUOTATION_MARK",
                     movies="Paper Moons (2001)", genres="comedy;  drama", people="Ada Wu"),
        inspired_row("d1.pkl", 4, "RECOMMENDER", "Try Night Train or Glass Hours",
                     movies="Night Train (1999);  Glass Hours (2010)", label="credibility"),
        inspired_row("d2.pkl", 1, "SEEKER", "Hello", label=""),
        inspired_row("d2.pkl", 2, "RECOMMENDER", "Have you seen Paper Moons?", movies="Paper Moons (2001)"),
    ]


def write_inspired_raw(folder: Path, rows: list[list[str]] | None = None, stem: str = "dev") -> Path:
    """Tab-joined lines without any quoting, as the release writes them."""
    rows = inspired_rows() if rows is None else rows
    return write_lines(folder / f"{stem}.tsv", ["\t".join(row) for row in [INSPIRED_COLUMNS, *rows]]).parent


def write_inspired_crslab(folder: Path) -> Path:
    dialogs = [{"dialog": [
        utt("Recommender", "Hi there !", utt_id=1, genre=[], people=[]),
        utt("Recommender", "What do you like ?", utt_id=2, genre=[], people=[]),
        utt("Seeker", "I loved Paper Moons", items=[PAPER_MOONS], utt_id=3, genre=["comedy"], people=["Ada Wu"]),
        utt("Recommender", "Try Night Train", items=[NIGHT_TRAIN], utt_id=4, genre=[], people=[]),
    ]}]
    write_json(folder / "valid_data.json", dialogs)
    write_json(folder / "entity2id.json", REDIAL_ENTITIES)
    write_json(folder / "movie_ids.json", [1, 4, 5])
    write_json(folder / "word2id.json", {"like": 1})
    write_json(folder / "token2id.json", tokens_of(dialogs))
    write_lines(folder / "dbpedia_subkg.txt", [f"{PAPER_MOONS}\tstarring\t{ADA_WU}"])
    write_lines(folder / "concept_subkg.txt", ["like\tRelatedTo\tlove"])
    return folder


# ---- DuRecDial 1.0 ---------------------------------------------------------------------------------------------


def durecdial_raw_record(bot_first: bool = True) -> dict:
    first_goal = "[1] 寒暄 ( Bot 主动 ， 问候 User )" if bot_first else "[1] 问答 ( User 主动 问 『 纸月亮 』 的 主演 )"
    return {
        "situation": "聊天 时间 : 晚上 8 : 00",
        "goal": f"{first_goal} --> [2] 电影 推荐 ( Bot 主动 推荐 『 纸月亮 』 ) --> [3] 再见",
        "user_profile": {"姓名": "林乔", "喜欢 的 电影": ["纸月亮"]},
        "knowledge": [["纸月亮", "主演", "吴艾达"]],
        "conversation": ["[1] 你好 ， 林乔 ！", "你好 。", "[2] 推荐 你 看 纸月亮 。", "好 的 ， 谢谢 ！", "[3] 再见 ！"],
    }


def write_durecdial_raw(folder: Path, records: list[dict] | None = None, stem: str = "dev") -> Path:
    records = [durecdial_raw_record(True), durecdial_raw_record(False)] if records is None else records
    return write_lines(folder / f"{stem}.txt", [json.dumps(r, ensure_ascii=False) for r in records]).parent


def write_durecdial_crslab(folder: Path, dialogs: list[dict] | None = None) -> Path:
    dialogs = dialogs if dialogs is not None else [{"dialog": [
        utt("Recommender", "林乔 ， 你好", item_field="item", utt_id=0),
        utt("Seeker", "你好", item_field="item", utt_id=1),
        utt("Recommender", "推荐 《 纸月亮 》", items=["纸月亮"], entity=["纸月亮"], word=["推荐"], item_field="item", utt_id=2),
    ]}]
    write_json(folder / "valid_data.json", dialogs)
    write_json(folder / "entity2id.json", {"纸月亮": 1, "吴艾达": 2})
    write_json(folder / "item_ids.json", [1])
    write_json(folder / "word2id.json", {"推荐": 1})
    write_json(folder / "token2id.json", tokens_of(dialogs))
    write_lines(folder / "entity_subkg.txt", ["纸月亮\t主演\t吴艾达"])
    write_lines(folder / "hownet_subkg.txt", ["推荐\trelated\t电影"])
    return folder


# ---- OpenDialKG -----------------------------------------------------------------------------------------------


def opendialkg_messages() -> list[dict]:
    """user, user (merged), a KG walk by the assistant, then the assistant's message."""
    path = [0.9, [["Paper Moons", "starred_actors", "Ada Wu"], ["Ada Wu", "~starred_actors", "Night Train"]],
            "Paper Moons starred Ada Wu, who is in Night Train"]
    return [
        {"type": "chat", "sender": "user", "message": "I like Paper Moons."},
        {"type": "chat", "sender": "user", "message": "Anything similar?"},
        {"type": "action", "sender": "assistant", "action_id": "kgwalk/choose_path", "metadata": {"path": path}},
        {"type": "chat", "sender": "assistant", "message": "Night Train also has Ada Wu."},
        {"type": "action", "sender": "user", "action_id": "meta_thread/send_meta_message", "metadata": {}},
        {"type": "chat", "sender": "user", "message": "Thanks!"},
    ]


def write_opendialkg_raw(folder: Path, rows: list[list[str]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = rows if rows is not None else [[json.dumps(opendialkg_messages()), "5", "4"],
                                          [json.dumps(opendialkg_messages()[3:]), "", ""]]
    with open(folder / "opendialkg.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Messages", "User Rating", "Assistant Rating"])
        writer.writerows(rows)
    write_lines(folder / "opendialkg_triples.txt", ["Paper Moons\tstarred_actors\tAda Wu",
                                                    "Ada Wu\t~starred_actors\tNight Train"])
    return folder


def write_opendialkg_crslab(folder: Path) -> Path:
    dialogs = [{"dialog": [
        utt("Seeker", "I like Paper Moons .", entity=["Paper Moons"], item_field="item", utt_id=0),
        utt("Seeker", "Anything similar ?", item_field="item", utt_id=1),
        utt("Recommender", "Night Train also has Ada Wu .", items=["Night Train"], entity=["Ada Wu"], item_field="item",
            utt_id=2),
    ]}]
    write_json(folder / "valid_data.json", dialogs)
    write_json(folder / "entity2id.json", {"": 1, "Paper Moons": 2, "Ada Wu": 3, "Night Train": 4})
    write_json(folder / "item_ids.json", [2, 4])
    write_json(folder / "word2id.json", {"similar": 1})
    write_json(folder / "token2id.json", tokens_of(dialogs))
    write_lines(folder / "opendialkg_subkg.txt", ["Paper Moons\tstarred_actors\tAda Wu"])
    write_lines(folder / "concept_subkg.txt", ["similar\tRelatedTo\tlike"])
    return folder
