"""Generate the small synthetic samples of CRSLab's six datasets that ship with crs_hf, in CRSLab's processed format.

CRSLab's processed release is the one form of these datasets that has every config (dialogs, entity and word KGs,
item list, id tables), so the samples use it. Each has {train,valid,test}_data.json with 12 / 4 / 4 dialogs and:

    redial/      token2id.json, entity2id.json, dbpedia_subkg.json (KGSF's id adjacency), concept2id.json,
                 conceptnet_subkg.txt, movie_ids.json
    tgredial/    token2id.json, topic2id.json, entity2id.json, cn-dbpedia.txt, word2id.json, hownet.txt,
                 movie_ids.json, user2history.json, user2profile.json
    gorecdial/   token2id.json, entity2id.json, dbpedia_subkg.txt, word2id.json, conceptnet_subkg.txt, movie_ids.json
    inspired/    token2id.json, entity2id.json, dbpedia_subkg.txt, word2id.json, concept_subkg.txt, movie_ids.json
    opendialkg/  token2id.json, entity2id.json, opendialkg_subkg.txt, word2id.json, concept_subkg.txt, item_ids.json
    durecdial/   token2id.json, entity2id.json, entity_subkg.txt, word2id.json, hownet_subkg.txt, item_ids.json

Every item, person, sentence and user below is invented for crs_hf from small word lists; nothing is taken from
the real datasets. Every sample has at least 60 items (CRSLab's ranking evaluation needs at least 50) and TG-ReDial
60 topics (its policy evaluation needs 50); every TG-ReDial user has exactly 10 profile sentences. Every split has
recommender turns with gold items, some of them mentioned earlier in the dialog and some not.

Each dataset's default KG processing must keep a relation:
- ReDial keeps only relations with more than 1000 edges. Every movie stars nine of the people, which gives the
  "starring" relation 540 triples, 1080 edges in both directions, so the default processing keeps exactly that
  relation (the others, and the self-loops of the 60 heads, fall under the threshold).
- OpenDialKG keeps only relations with more than 20000 edges, counting a forward edge and two self-loops per triple:
  its KG has exactly 10001 triples (co-star pairs fill it up), so the self-loop relation stays (20002 edges).
- The others have no frequency filter.

Run (from the repository root; the output is byte-identical across runs for the same seed):
    python -m crs_hf.data.samples.generate_crslab [--out DIR] [--seed N]
The script imports nothing from crs_hf, so it also runs as a plain file.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parent
SPLIT_SIZES = {"train": 12, "valid": 4, "test": 4}
SPECIAL_TOKENS = ["__pad__", "__start__", "__end__", "__unk__"]


def _write_json(path: Path, value: list | dict) -> None:
    """JSON with one array element (or object entry) per line: valid for any JSON reader, readable in a diff."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    if isinstance(value, list):
        text = "[\n" + ",\n".join(dump(v) for v in value) + "\n]\n"
    else:
        text = "{\n" + ",\n".join(f"{dump(k)}: {dump(v)}" for k, v in value.items()) + "\n}\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")


def _vocabulary(dialogs: list[dict], utterance_key: str) -> dict[str, int]:
    """token2id as CRSLab ships it: the special tokens, then the training tokens in order of first appearance."""
    tokens = {token: index for index, token in enumerate(SPECIAL_TOKENS)}
    for dialog in dialogs:
        for utterance in dialog[utterance_key]:
            for token in utterance["text"]:
                tokens.setdefault(token, len(tokens))
    return tokens


def _words(tokens: list[str], vocabulary: set[str]) -> list[str]:
    return list(dict.fromkeys(token for token in tokens if token in vocabulary))


# ----------------------------------------------------------------------------------------------------------------
# ReDial (English)
# ----------------------------------------------------------------------------------------------------------------

EN_ADJECTIVES = ["Silent", "Crimson", "Hidden", "Broken", "Golden", "Midnight", "Paper", "Iron", "Quiet", "Distant"]
EN_NOUNS = ["Harbor", "Orchard", "Signal", "Lantern", "Frontier", "Mirror"]
EN_FIRST = ["Ada", "Bruno", "Clara", "Dmitri", "Elena", "Felix", "Greta", "Hugo", "Iris", "Jonas"]
EN_LAST = ["Vance", "Moreau", "Lindqvist", "Okafor"]
EN_GENRES = {  # word in the text -> DBpedia-style entity
    "comedy": "Comedy_film", "horror": "Horror_film", "sci-fi": "Science_fiction_film", "drama": "Drama_film",
    "action": "Action_film", "romance": "Romance_film", "documentary": "Documentary_film", "animated": "Animated_film",
}
STARRING, DIRECTOR, GENRE, SELF_LOOP = 69, 105, 138, 185  # relation ids (KGSF released ids, not names)
CONCEPTS = [
    "good", "movie", "recommend", "mood", "liked", "favorite", "loved", "great", "kind", "actor", "seen", "stars",
    "heard", "watch", "enjoy", "nice", "day", "story", "funny", "scary", "like", *EN_GENRES,
]
CONCEPTNET = [  # KGSF's format: relation, head/pos, tail/pos
    ("/r/RelatedTo", "comedy/n", "funny/a"), ("/r/RelatedTo", "horror/n", "scary/a"),
    ("/r/IsA", "comedy/n", "movie/n"), ("/r/IsA", "horror/n", "movie/n"), ("/r/IsA", "drama/n", "movie/n"),
    ("/r/IsA", "documentary/n", "movie/n"), ("/r/Synonym", "good/a", "great/a"), ("/r/RelatedTo", "liked/v", "loved/v"),
    ("/r/RelatedTo", "like/v", "liked/v"), ("/r/RelatedTo", "actor/n", "stars/v"), ("/r/RelatedTo", "movie/n", "watch/v"),
    ("/r/RelatedTo", "movie/n", "story/n"), ("/r/RelatedTo", "sci-fi/n", "action/n"),
    ("/r/RelatedTo", "romance/n", "drama/n"), ("/r/RelatedTo", "enjoy/v", "nice/a"),
    ("/r/RelatedTo", "favorite/a", "liked/v"), ("/r/RelatedTo", "animated/a", "funny/a"),
    ("/r/RelatedTo", "seen/v", "watch/v"),
]


def _uri(name: str) -> str:
    return f"<http://dbpedia.org/resource/{name}>"


def redial_world(rng: random.Random) -> dict[str, Any]:
    titles = [f"{a}_{n}" for a in EN_ADJECTIVES for n in EN_NOUNS]
    years = [rng.randrange(1975, 2019) for _ in titles]
    movies = [_uri(f"{title}_({year}_film)") for title, year in zip(titles, years)]
    people = [f"{first}_{last}" for first in EN_FIRST for last in EN_LAST]
    names = movies + [_uri(p) for p in people] + [_uri(g) for g in EN_GENRES.values()]
    order = list(range(len(names)))
    rng.shuffle(order)
    entity2id = {names[i]: rank + 1 for rank, i in enumerate(order)}  # id 0 is CRSLab's padding entity
    cast, directors, genres = {}, {}, {}
    for movie in movies:
        cast[movie] = rng.sample(people, 9)
        directors[movie] = rng.choice(people)
        genres[movie] = rng.sample(list(EN_GENRES), rng.choice((1, 2)))
    return {"movies": movies, "titles": titles, "movie_ids": rng.sample(range(100000, 210000), len(movies)),
            "entity2id": entity2id, "cast": cast, "directors": directors, "genres": genres}


def _redial_utterance(role: str, text: str, world: dict, movies: list[str] = (), people: list[str] = (),
                      genres: list[str] = ()) -> dict:
    tokens = text.split()
    for index, token in enumerate(tokens):  # "@{k}" placeholders -> the ReDial movie id of movies[k]
        if token.startswith("@{"):
            tokens[index] = f"@{world['movie_ids'][world['movies'].index(movies[int(token[2:-1])])]}"
    return {"role": role, "text": tokens, "movies": list(movies),
            "entity": [_uri(p) for p in people] + [_uri(EN_GENRES[g]) for g in genres],
            "word": _words(tokens, set(CONCEPTS))}


def redial_dialog(rng: random.Random, world: dict, conv_id: int) -> dict:
    genre = rng.choice(list(EN_GENRES))
    liked, *picks = rng.sample(world["movies"], 4)
    picks = picks[: rng.choice((2, 3))]
    actor = lambda movie: world["cast"][movie][0].replace("_", " ")  # noqa: E731
    seeker, recommender = "Seeker", "Recommender"
    u = lambda role, text, **kw: _redial_utterance(role, text, world, **kw)  # noqa: E731
    utterances = []
    if rng.random() < 0.35:  # the recommender opens
        utterances.append(u(recommender, rng.choice(["hello ! what kind of movies do you like ?",
                                                     "hi , what are you in the mood for ?"])))
        utterances.append(u(seeker, f"i am in the mood for something {genre}", genres=[genre]))
    else:  # the seeker opens, often with two messages in a row
        utterances.append(u(seeker, rng.choice(["hi", "hello", "hey there"])))
        utterances.append(u(seeker, rng.choice([f"i am looking for a good {genre} movie",
                                                f"can you recommend a {genre} movie ?"]), genres=[genre]))
        utterances.append(u(recommender, rng.choice(["sure ! what was the last movie you liked ?",
                                                     "do you have a favorite movie ?"])))
    liked_text = rng.choice(["i really liked @{0}", "my favorite is @{0}", "i loved @{0} , it was great"])
    utterances.append(u(seeker, liked_text, movies=[liked]))
    for pick in picks:
        star = world["cast"][pick][0]
        text, people = rng.choice([("have you seen @{0} ?", []), ("how about @{0} ?", []),
                                   (f"you might like @{{0}} , it stars {actor(pick)}", [star])])
        utterances.append(u(recommender, text, movies=[pick], people=people))
        reply = rng.choice(["no , i have not seen it", "yes , i saw it and loved it", "that sounds good",
                            "i have not heard of it , what is it about ?"])
        utterances.append(u(seeker, reply))
        if reply.endswith("?"):
            mood = rng.choice(["funny", "scary"])
            utterances.append(u(recommender, f"{actor(pick)} is great in it and the story is {mood}", people=[star]))
    utterances.append(u(seeker, rng.choice(["thanks , i will watch it !", "great , thank you !"])))
    utterances.append(u(recommender, rng.choice(["you are welcome , enjoy !", "have a nice day !"])))
    return {"conv_id": str(conv_id), "dialog": [{"utt_id": i, **utt} for i, utt in enumerate(utterances)]}


def generate_redial(out_dir: Path, seed: int = 0) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"redial-{seed}")
    world = redial_world(rng)
    entity2id = world["entity2id"]
    counts, conv_id, train = {}, 20001, []
    for split, size in SPLIT_SIZES.items():
        dialogs = [redial_dialog(rng, world, conv_id + i) for i in range(size)]
        conv_id += size
        train = dialogs if split == "train" else train
        _write_json(out_dir / f"{split}_data.json", dialogs)
        counts[f"{split}_data.json"] = len(dialogs)
    adjacency = {}
    for index, movie in enumerate(world["movies"]):
        head = entity2id[movie]
        edges = [[STARRING, entity2id[_uri(p)]] for p in world["cast"][movie]]
        edges.append([DIRECTOR, entity2id[_uri(world["directors"][movie])]])
        edges += [[GENRE, entity2id[_uri(EN_GENRES[g])]] for g in world["genres"][movie]]
        if index % 10 == 0:
            edges.append([SELF_LOOP, head])  # KGSF's sub-KG carries some self-edges; CRSLab drops them
        adjacency[str(head)] = edges
    _write_json(out_dir / "dbpedia_subkg.json", adjacency)
    _write_json(out_dir / "entity2id.json", entity2id)
    _write_json(out_dir / "movie_ids.json", [entity2id[m] for m in world["movies"]])
    _write_json(out_dir / "concept2id.json", {word: i + 1 for i, word in enumerate(CONCEPTS)})
    _write_lines(out_dir / "conceptnet_subkg.txt", ["\t".join(triple) for triple in CONCEPTNET])
    _write_json(out_dir / "token2id.json", _vocabulary(train, "dialog"))
    return counts


# ----------------------------------------------------------------------------------------------------------------
# TG-ReDial (Chinese, word-segmented like pkuseg)
# ----------------------------------------------------------------------------------------------------------------

ZH_TITLE_HEADS = ["星河", "晚风", "青山", "长街", "白塔", "雨巷", "旧梦", "海港", "飞鸟", "月台"]
ZH_TITLE_TAILS = ["往事", "少年", "来信", "奇谭", "之约", "归途"]
ZH_SURNAMES = ["林", "周", "陈", "许", "沈", "顾"]
ZH_GIVEN = ["一航", "晓雨", "子墨", "安然", "思远"]
ZH_THEMES = [
    "喜剧", "爱情", "科幻", "悬疑", "动作", "动画", "战争", "青春", "家庭", "恐怖", "音乐", "犯罪", "奇幻", "冒险",
    "历史", "传记", "武侠", "校园", "职场", "亲情", "友情", "励志", "公路", "灾难", "运动", "美食", "旅行", "治愈",
    "推理", "纪录",
]
HOWNET = [
    "喜欢", "电影", "好看", "推荐", "感觉", "剧情", "演员", "故事", "有趣", "温暖", "紧张", "搞笑", "经典", "画面",
    "音乐", "结局", "朋友", "周末", "心情", "轻松", "感人", "导演", "主演", "角色", "新片", "口碑", "类型", "作品",
]
HOWNET_EDGES = [
    ("喜欢", "related", "电影"), ("好看", "related", "经典"), ("剧情", "related", "故事"), ("演员", "related", "角色"),
    ("演员", "related", "主演"), ("有趣", "synonym", "搞笑"), ("温暖", "related", "感人"), ("轻松", "related", "心情"),
    ("导演", "related", "作品"), ("电影", "related", "画面"), ("电影", "related", "音乐"), ("新片", "related", "口碑"),
    ("周末", "related", "朋友"), ("类型", "related", "电影"), ("紧张", "antonym", "轻松"), ("结局", "related", "剧情"),
]
RECOMMEND, TALK, REQUEST, FEEDBACK, GREET, END = "推荐电影", "谈论", "请求推荐", "反馈", "寒暄", "反馈，结束"


def tgredial_world(rng: random.Random) -> dict[str, Any]:
    titles = [h + t for h in ZH_TITLE_HEADS for t in ZH_TITLE_TAILS]
    movies = [f"{title}（{rng.randrange(1985, 2020)}）" for title in titles]
    people = [s + g for s in ZH_SURNAMES for g in ZH_GIVEN]
    entity2id = {name: i + 1 for i, name in enumerate(movies + people + ZH_THEMES)}
    cast = {movie: rng.sample(people, 2) for movie in movies}
    directors = {movie: rng.choice(people) for movie in movies}
    themes = {movie: rng.sample(ZH_THEMES, rng.choice((1, 2))) for movie in movies}
    users = {str(u): {"themes": rng.sample(ZH_THEMES, 3), "star": rng.choice(people),
                      "watched": rng.sample(movies, rng.randrange(0, 4))} for u in range(1, 13)}
    return {"movies": movies, "titles": dict(zip(movies, titles)), "people": people, "entity2id": entity2id,
            "cast": cast, "directors": directors, "themes": themes, "users": users}


def tgredial_profile(user: dict) -> list[list[str]]:
    """Ten profile sentences, as TG-ReDial's profile models expect."""
    a, b, c = user["themes"]
    star = user["star"]
    sentences = [
        f"我 喜欢 看 {a} 电影", f"{b} 片 我 也 经常 看", f"最近 在 补 {star} 的 作品", f"{c} 题材 的 电影 很 有趣",
        "周末 喜欢 和 朋友 一起 看 电影", f"{star} 主演 的 电影 都 很 好看", f"不太 喜欢 {c} 片 里 太 紧张 的 剧情",
        "希望 结局 温暖 一点", f"觉得 {a} 片 能 让 心情 轻松", "偶尔 也 会 看看 口碑 好 的 新片",
    ]
    return [sentence.split() for sentence in sentences]


def tgredial_dialog(rng: random.Random, world: dict, conv_id: int) -> tuple[dict, dict[str, list[int]]]:
    user_id = rng.choice(sorted(world["users"], key=int))
    user = world["users"][user_id]
    theme = rng.choice(user["themes"])
    candidates = [m for m in world["movies"] if theme in world["themes"][m]] or world["movies"]
    movie = rng.choice(candidates)
    star = world["cast"][movie][0]
    title = world["titles"][movie]
    final = [RECOMMEND, [theme, star]]
    steps = [  # (role, text, movies, entities, action, topics)
        ("Seeker", "你好 ， 想 找 部 电影 看看", [], [], GREET, None),
        ("Recommender", "你好 ！ 平时 喜欢 什么 类型 的 电影 ？", [], [], REQUEST, None),
        ("Seeker", f"我 比较 喜欢 {theme} 片", [], [theme], TALK, theme),
        ("Recommender", f"{theme} 片 的话 ， {star} 演 得 很 不错", [], [theme, star], TALK, [theme, star]),
        ("Seeker", f"{star} 我 也 很 喜欢 ， 有 推荐 吗 ？", [], [star], REQUEST, star),
        ("Recommender", f"推荐 你 看 《 {title} 》 ， {star} 主演 的 {theme} 片", [movie], [movie, star, theme], RECOMMEND, title),
        ("Seeker", "听 起来 不错 ， 讲 的 是 什么 ？", [], [], FEEDBACK, None),
        ("Recommender", f"是 一个 关于 {rng.choice(['友情', '亲情', '旅行'])} 的 故事 ， 结局 很 温暖", [], [], TALK, [theme]),
        ("Seeker", "好 的 ， 周末 去 看看 ， 谢谢 ！", [], [], END, None),
    ]
    if rng.random() < 0.25:  # some dialogs open with the recommender's greeting
        steps = [("Recommender", "你好 ， 今天 想 看 什么 电影 ？", [], [], GREET, None)] + steps[2:]
    history = [world["entity2id"][m] for m in user["watched"]]
    messages, histories = [], {}
    for local_id, (role, text, movies, entities, action, topics) in enumerate(steps, start=1):
        tokens = text.split()
        messages.append({"local_id": local_id, "role": role, "text": tokens, "movie": movies, "entity": entities,
                         "word": _words(tokens, set(HOWNET)), "target": [local_id, action, topics], "final": final})
        if history and role == "Recommender":
            histories[f"{conv_id}/{local_id}"] = history
    return {"conv_id": conv_id, "user_id": user_id, "messages": messages}, histories


def generate_tgredial(out_dir: Path, seed: int = 0) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"tgredial-{seed}")
    world = tgredial_world(rng)
    counts, conv_id, train, histories = {}, 1, [], {}
    for split, size in SPLIT_SIZES.items():
        dialogs = []
        for _ in range(size):
            dialog, history = tgredial_dialog(rng, world, conv_id)
            dialogs.append(dialog)
            histories.update(history)
            conv_id += 1
        train = dialogs if split == "train" else train
        _write_json(out_dir / f"{split}_data.json", dialogs)
        counts[f"{split}_data.json"] = len(dialogs)
    entity2id = world["entity2id"]
    kg = []
    for movie in world["movies"]:
        kg += [f"{movie}\t主演\t{person}" for person in world["cast"][movie]]
        kg.append(f"{movie}\t导演\t{world['directors'][movie]}")
        kg += [f"{movie}\t类型\t{theme}" for theme in world["themes"][movie]]
    _write_lines(out_dir / "cn-dbpedia.txt", kg)
    _write_json(out_dir / "entity2id.json", entity2id)
    _write_json(out_dir / "movie_ids.json", [entity2id[m] for m in world["movies"]])
    _write_json(out_dir / "topic2id.json", {t: i + 1 for i, t in enumerate(ZH_THEMES + world["people"])})
    _write_json(out_dir / "word2id.json", {w: i + 1 for i, w in enumerate(HOWNET)})
    _write_lines(out_dir / "hownet.txt", ["\t".join(edge) for edge in HOWNET_EDGES])
    _write_json(out_dir / "user2profile.json", {u: tgredial_profile(user) for u, user in world["users"].items()})
    _write_json(out_dir / "user2history.json", histories)
    _write_json(out_dir / "token2id.json", _vocabulary(train, "messages"))
    return counts


# ----------------------------------------------------------------------------------------------------------------
# GoRecDial, INSPIRED, OpenDialKG, DuRecDial: one world / dialog / release writer, four dialog styles
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Item:
    """A recommendable item of a sample world."""

    entity: str  # its entity name (the key in entity2id.json, what `movies` / `item` lists)
    mention: str  # how a text names it: its title words, or GoRecDial's "@<id>" token
    kind: str  # "movie", "book" or "song"
    people: list[str]  # display names: the cast, a book's author, a song's singer
    director: str | None
    genres: list[str]  # genre words


@dataclass
class World:
    """The items, people and genres a sample's dialogs talk about, and the entity ids of every name."""

    items: list[Item]
    person: dict[str, str]  # display name -> entity name
    genre: dict[str, str]  # genre word -> entity name
    entity2id: dict[str, int] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Item]:
        return [item for item in self.items if item.kind == kind]

    def starring(self, person: str, kind: str = "movie") -> list[Item]:
        return [item for item in self.of_kind(kind) if person in item.people]


def make_world(rng: random.Random, titles: dict[str, list[str]], people: list[str], genres: dict[str, list[str]],
               cast_size: dict[str, int], entity: Callable[[str, str], str] = lambda name, kind: name,
               mention: Callable[[str, str], str] = lambda title, entity: title) -> World:
    """Items of each kind with `cast_size[kind]` people, a director for movies and one or two genres; entity ids
    numbered from 1 (0 is CRSLab's padding entity) in a shuffled order, as the real releases' ids are.

    `entity(name, kind)` gives the entity name of a title (kind "movie", "book", "song"), a person ("person") or a
    genre ("genre"); `mention(title, entity)` how the text names an item."""
    items = []
    for kind, kind_titles in titles.items():
        for title in kind_titles:
            name = entity(title, kind)
            items.append(Item(name, mention(title, name), kind, rng.sample(people, cast_size[kind]),
                              rng.choice(people) if kind == "movie" else None,
                              rng.sample(genres[kind], rng.choice((1, 2)))))
    world = World(items, {p: entity(p, "person") for p in people},
                  {g: entity(g, "genre") for gs in genres.values() for g in gs})
    names = [item.entity for item in items] + list(world.person.values()) + list(dict.fromkeys(world.genre.values()))
    order = list(range(len(names)))
    rng.shuffle(order)
    world.entity2id = {names[i]: rank + 1 for rank, i in enumerate(order)}
    return world


def item_triples(world: World, relations: dict[str, str]) -> list[tuple[str, str, str]]:
    """(item, relation, person / genre) triples; `relations` maps "<kind>.people", "director" and "genre" to the
    release's relation names."""
    triples = []
    for item in world.items:
        triples += [(item.entity, relations[f"{item.kind}.people"], world.person[p]) for p in item.people]
        if item.director:
            triples.append((item.entity, relations["director"], world.person[item.director]))
        triples += [(item.entity, relations["genre"], world.genre[g]) for g in item.genres]
    return triples


class DialogWriter:
    """Collects one dialog's utterances in CRSLab's processed form (text pre-tokenized, annotations as names)."""

    def __init__(self, sample: CRSLabSample, world: World):
        self.sample, self.world, self.utterances = sample, world, []

    def say(self, role: str, text: str, items: Sequence[Item] = (), persons: Sequence[str] = (),
            genres: Sequence[str] = (), linked: Sequence[Item] = (), **extra: Any) -> None:
        """`items` are the utterance's gold items; `linked` items are also annotated as entities."""
        tokens = text.split()
        entities = ([item.entity for item in linked] + [self.world.person[p] for p in persons]
                    + [self.world.genre[g] for g in genres])
        self.utterances.append({"utt_id": len(self.utterances), "role": role, "text": tokens,
                                self.sample.item_field: [item.entity for item in items], "entity": entities,
                                "word": _words(tokens, set(self.sample.words)), **extra})


@dataclass(frozen=True)
class CRSLabSample:
    """One dataset's CRSLab release as a sample writes it: its file names and keys, word KG and generators."""

    name: str
    item_field: str  # the utterance key of its items
    item_list: str
    entity_kg: str
    word_kg: str
    words: Sequence[str]  # the word-KG vocabulary (word2id.json)
    word_edges: Sequence[tuple[str, str, str]]  # word<TAB>relation<TAB>word
    world: Callable[[random.Random], World]
    kg: Callable[[World], list[tuple[str, str, str]]]
    dialog: Callable[[random.Random, DialogWriter], None]


def generate_sample(sample: CRSLabSample, out_dir: Path, seed: int = 0) -> dict[str, int]:
    """Writes one release: the split files, entity2id / word2id / token2id, the item list and both KGs.

    token2id holds every token of every split (special tokens first, then in order of first appearance, train
    first), as the real INSPIRED, OpenDialKG and DuRecDial tables do."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{sample.name}-{seed}")
    world = sample.world(rng)
    counts, every = {}, []
    for split, size in SPLIT_SIZES.items():
        dialogs = []
        for _ in range(size):
            writer = DialogWriter(sample, world)
            sample.dialog(rng, writer)
            dialogs.append({"dialog": writer.utterances})
        every += dialogs
        _write_json(out_dir / f"{split}_data.json", dialogs)
        counts[f"{split}_data.json"] = len(dialogs)
    _write_json(out_dir / "entity2id.json", world.entity2id)
    _write_json(out_dir / sample.item_list, [world.entity2id[item.entity] for item in world.items])
    _write_lines(out_dir / sample.entity_kg, ["\t".join(triple) for triple in sample.kg(world)])
    _write_json(out_dir / "word2id.json", {word: i + 1 for i, word in enumerate(sample.words)})
    _write_lines(out_dir / sample.word_kg, ["\t".join(edge) for edge in sample.word_edges])
    _write_json(out_dir / "token2id.json", _vocabulary(every, "dialog"))
    return counts


SEEKER, RECOMMENDER = "Seeker", "Recommender"
EN_TITLES = [f"{a} {n}" for a in EN_ADJECTIVES for n in EN_NOUNS]
EN_PEOPLE = [f"{first} {last}" for first in EN_FIRST for last in EN_LAST]
# ConceptNet word KG in `word<TAB>relation<TAB>word` form (GoRecDial, INSPIRED, OpenDialKG), from ReDial's triples.
EN_WORD_EDGES = [(h.split("/")[0], r.removeprefix("/r/"), t.split("/")[0]) for r, h, t in CONCEPTNET]


# ---- GoRecDial: the expert knows the seeker's watched movies; movies are "@<id>" tokens; roles alternate ------


def gorecdial_world(rng: random.Random) -> World:
    """DBpedia names as in ReDial's release (`<http://dbpedia.org/resource/Silent_Harbor_(1994_film)>`)."""
    ids = dict(zip(EN_TITLES, rng.sample(range(1, 200000), len(EN_TITLES))))

    def entity(name: str, kind: str) -> str:
        if kind == "genre":
            return _uri(EN_GENRES[name])
        return _uri(name.replace(" ", "_") + (f"_({rng.randrange(1975, 2020)}_film)" if kind == "movie" else ""))

    return make_world(rng, {"movie": EN_TITLES}, EN_PEOPLE, {"movie": list(EN_GENRES)}, {"movie": 5}, entity,
                      mention=lambda title, entity: f"@{ids[title]}")


def gorecdial_dialog(rng: random.Random, d: DialogWriter) -> None:
    """`decide` is 1 on the expert's utterances that recommend a movie, 0 elsewhere; some dialogs hold an empty
    utterance (the release has them; CRSLab skips them)."""
    movies = d.world.of_kind("movie")
    watched = rng.sample(movies, 2)
    genre = rng.choice(watched[0].genres)
    pick, other = rng.sample([m for m in movies if m not in watched and genre in m.genres], 2)
    say = lambda role, text, decide=0, **kw: d.say(role, text, decide=decide, **kw)  # noqa: E731
    seen = " and ".join(m.mention for m in watched)
    if rng.random() < 0.5:
        say(SEEKER, f"hi ! i have watched {seen} lately", items=watched)
    else:
        say(RECOMMENDER, "hi , what movies have you watched lately ?")
        say(SEEKER, f"i watched {seen}", items=watched)
    say(RECOMMENDER, "nice , which one did you like more ?")
    say(SEEKER, f"i liked {watched[0].mention} more , i am in the mood for a {genre} movie", items=watched[:1],
        genres=[genre])
    star = pick.people[0]
    say(RECOMMENDER, f"then you might like {pick.mention} , it stars {star}", 1, items=[pick], persons=[star])
    if rng.random() < 0.5:
        say(SEEKER, "i have seen that one , anything else ?")
        say(RECOMMENDER, f"how about {other.mention} ?", 1, items=[other])
        pick = other
    say(SEEKER, f"is {pick.mention} a {genre} movie ?", items=[pick], genres=[genre])
    say(RECOMMENDER, f"yes , {pick.mention} is a great {genre} movie , you should watch it", 1, items=[pick],
        genres=[genre])
    say(SEEKER, rng.choice(["ok , i will watch it . thanks !", "great , thank you !"]))
    if rng.random() < 0.3:
        say(RECOMMENDER, "")
        say(SEEKER, "bye")
    else:
        say(RECOMMENDER, rng.choice(["you are welcome , enjoy !", "have a nice day !"]))


GORECDIAL = CRSLabSample(
    "gorecdial", "movies", "movie_ids.json", "dbpedia_subkg.txt", "conceptnet_subkg.txt", CONCEPTS, EN_WORD_EDGES,
    gorecdial_world, lambda w: item_triples(w, {"movie.people": "starring", "director": "director", "genre": "genre"}),
    gorecdial_dialog,
)


# ---- INSPIRED: the recommender opens and persuades, often in several messages in a row; genre / people fields --


def inspired_world(rng: random.Random) -> World:
    """DBpedia titles, some disambiguated as the release's are ("Silent Harbor (film)")."""
    def entity(name: str, kind: str) -> str:
        if kind == "genre":
            return name.capitalize()
        return f"{name} (film)" if kind == "movie" and rng.random() < 0.3 else name

    return make_world(rng, {"movie": EN_TITLES}, EN_PEOPLE, {"movie": list(EN_GENRES)}, {"movie": 4}, entity)


def inspired_dialog(rng: random.Random, d: DialogWriter) -> None:
    """Items are named by their title in the text; every utterance carries the release's `genre` and `people`."""
    def say(role, text, items=(), persons=(), genres=()):
        d.say(role, text, items=items, persons=persons, genres=genres, genre=list(genres), people=list(persons))

    movies = d.world.of_kind("movie")
    liked = rng.choice(movies)
    genre = rng.choice(liked.genres)
    pick = rng.choice([m for m in movies if m is not liked and genre in m.genres])
    star = pick.people[0]
    if rng.random() < 0.6:
        say(RECOMMENDER, "hi there !")
        say(RECOMMENDER, "what kind of movies do you like to watch ?")
    else:
        say(RECOMMENDER, "hi there ! what kind of movies do you like to watch ?")
    say(SEEKER, f"i like {genre} movies . my favorite is {liked.mention}", items=[liked], genres=[genre])
    say(RECOMMENDER, f"oh nice ! have you seen {pick.mention} ?", items=[pick])
    if rng.random() < 0.5:
        say(RECOMMENDER, f"it stars {star}", persons=[star])
    say(SEEKER, rng.choice(["no , i have not . what is it about ?", "i have not seen it , is it good ?"]))
    say(RECOMMENDER, f"{pick.mention} is a {genre} movie with a great story", items=[pick], genres=[genre])
    if rng.random() < 0.5:
        say(SEEKER, f"that sounds good , i will watch {pick.mention} tonight", items=[pick])
    else:
        say(SEEKER, "that sounds good")
        say(SEEKER, "i will watch the trailer")
    say(RECOMMENDER, rng.choice(["great ! enjoy the movie !", "have a great day !"]))


INSPIRED = CRSLabSample(
    "inspired", "movies", "movie_ids.json", "dbpedia_subkg.txt", "concept_subkg.txt", CONCEPTS, EN_WORD_EDGES,
    inspired_world, lambda w: item_triples(w, {"movie.people": "starring", "director": "director", "genre": "genre"}),
    inspired_dialog,
)


# ---- OpenDialKG: short dialogs grounded in a KG walk (movie -> actor -> movie, book -> author -> book) ---------

OD_FIRST = ["Ada", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Ida", "Jo", "Kit", "Lou", "Max"]
OD_LAST = ["Vo", "Ng", "Roe", "Ash", "Fox", "Lee", "Kay", "Orr", "Poe", "Yu"]
OD_BOOKS = [f"The {noun} of {thing}" for noun in ("Garden", "River", "Tower", "Letter")
            for thing in ("Ash", "Salt", "Glass", "Thorns")]
OD_BOOK_GENRES = ["mystery", "fantasy", "history", "poetry"]
# OpenDialKG's KG processing keeps relations with more than 20000 edges (forward edges and two self-loops per
# triple), so the KG needs 10001 triples for SELF_LOOP to stay: co-star pairs fill it up to exactly that.
OD_TRIPLES = 10001


def opendialkg_world(rng: random.Random) -> World:
    people = [f"{first} {last}" for first in OD_FIRST for last in OD_LAST]
    genres = {"movie": list(EN_GENRES), "book": OD_BOOK_GENRES}
    world = make_world(rng, {"movie": EN_TITLES, "book": OD_BOOKS}, people, genres, {"movie": 15, "book": 1},
                       entity=lambda name, kind: name.capitalize() if kind == "genre" else name)
    for index, book in enumerate(world.of_kind("book")):  # four authors of four books each
        book.people = [people[index % 4]]
    return world


def opendialkg_kg(world: World) -> list[tuple[str, str, str]]:
    """Every fact in both directions ("~" marks the reverse relation, as in OpenDialKG), then co-star pairs."""
    relations = {"movie.people": "Stars", "book.people": "Written by", "director": "Directed by", "genre": "Genre"}
    facts = item_triples(world, relations)
    triples = [t for h, r, tail in facts for t in ((h, r, tail), (tail, f"~{r}", h))]
    pairs = dict.fromkeys((world.person[a], world.person[b]) for item in world.of_kind("movie")
                          for a in item.people for b in item.people if a != b)
    triples += [(a, "Co-star", b) for a, b in pairs][: OD_TRIPLES - len(triples)]
    if len(triples) < OD_TRIPLES:
        raise ValueError(f"the world gives {len(triples)} triples, but OpenDialKG's processing needs {OD_TRIPLES}")
    return triples


def opendialkg_dialog(rng: random.Random, d: DialogWriter) -> None:
    """The recommender links the seeker's item to a new one through a person they share (both are gold items)."""
    kind = "book" if rng.random() < 0.25 else "movie"
    liked = rng.choice(d.world.of_kind(kind))
    person, pick = rng.choice([(p, i) for p in liked.people for i in d.world.starring(p, kind) if i is not liked])
    genre = rng.choice(pick.genres)
    d.say(SEEKER, rng.choice([f"i really like {liked.mention} . can you recommend something like it ?",
                              f"do you know {liked.mention} ? i loved it"]), items=[liked], linked=[liked])
    link = "stars" if kind == "movie" else "was written by"
    other = "also stars in" if kind == "movie" else "also wrote"
    d.say(RECOMMENDER, f"{liked.mention} {link} {person} , who {other} {pick.mention} .", items=[liked, pick],
          linked=[liked, pick], persons=[person])
    d.say(SEEKER, f"is {pick.mention} any good ?", items=[pick], linked=[pick])
    d.say(RECOMMENDER, f"yes , {pick.mention} is a great {genre} {kind} .", items=[pick], linked=[pick],
          genres=[genre])
    d.say(SEEKER, "thanks , i will check it out !")
    if rng.random() < 0.3:
        d.say(SEEKER, "bye")


OPENDIALKG = CRSLabSample(
    "opendialkg", "item", "item_ids.json", "opendialkg_subkg.txt", "concept_subkg.txt", CONCEPTS, EN_WORD_EDGES,
    opendialkg_world, opendialkg_kg, opendialkg_dialog,
)


# ---- DuRecDial (Chinese, jieba): chat about a star, then a movie and a song of theirs; roles alternate ----------

ZH_SONG_HEADS = ["春风", "远方", "夜空", "小城", "海边", "梦里"]
ZH_SONG_TAILS = ["的歌", "情书", "故事", "日记"]


def durecdial_world(rng: random.Random) -> World:
    titles = {"movie": [h + t for h in ZH_TITLE_HEADS for t in ZH_TITLE_TAILS],
              "song": [h + t for h in ZH_SONG_HEADS for t in ZH_SONG_TAILS]}
    people = [s + g for s in ZH_SURNAMES for g in ZH_GIVEN]
    world = make_world(rng, titles, people, {"movie": ZH_THEMES[:8], "song": ["流行", "民谣"]}, {"movie": 3, "song": 1})
    world.users = [s + g for s in ZH_SURNAMES[:3] for g in ZH_GIVEN[:4]]
    return world


def durecdial_dialog(rng: random.Random, d: DialogWriter) -> None:
    """Movies are named between 《 》 and songs between “ ”; the bot greets the user by name when it opens."""
    star = rng.choice([p for p in d.world.person if len(d.world.starring(p)) > 1 and d.world.starring(p, "song")])
    movie, second = rng.sample(d.world.starring(star), 2)
    song = rng.choice(d.world.starring(star, "song"))
    if rng.random() < 0.4:
        d.say(RECOMMENDER, f"{rng.choice(d.world.users)} ， 你好 ！ 今天 过 得 怎么样 ？")
        d.say(SEEKER, "挺 好 的 ， 就是 有点 累 。")
        d.say(RECOMMENDER, "那 可以 看 部 电影 放松 一下 心情 ， 你 喜欢 哪位 明星 ？")
        d.say(SEEKER, f"我 喜欢 {star} 。", persons=[star])
    else:
        d.say(SEEKER, f"你好 ， 你 知道 {star} 吗 ？", persons=[star])
        d.say(RECOMMENDER, f"当然 知道 ， {star} 是 很 有 才华 的 演员 。", persons=[star])
        d.say(SEEKER, f"我 很 喜欢 {star} 的 作品 。", persons=[star])
    d.say(RECOMMENDER, f"给 你 推荐 {star} 主演 的 电影 《 {movie.mention} 》 ， 口碑 很 好 。", items=[movie],
          linked=[movie], persons=[star])
    if rng.random() < 0.5:
        d.say(SEEKER, "这部 我 看过 了 ， 还有 别的 吗 ？")
        d.say(RECOMMENDER, f"那 推荐 你 看 《 {second.mention} 》 ， 也 是 {star} 主演 的 。", items=[second],
              persons=[star])
        movie = second
    d.say(SEEKER, "好 的 ， 这部 讲 的 是 什么 ？")
    genre = rng.choice(movie.genres)
    d.say(RECOMMENDER, f"《 {movie.mention} 》 是 一部 {genre} 电影 ， 结局 很 温暖 。", items=[movie], genres=[genre])
    d.say(SEEKER, "听 起来 不错 ， 周末 去 看看 。")
    d.say(RECOMMENDER, f"{star} 还 唱 过 一首 “ {song.mention} ” ， 也 很 好听 。", items=[song], persons=[star])
    d.say(SEEKER, "好 的 ， 谢谢 你 ， 再见 ！")
    d.say(RECOMMENDER, "再见 ！")


DURECDIAL = CRSLabSample(
    "durecdial", "item", "item_ids.json", "entity_subkg.txt", "hownet_subkg.txt", HOWNET, HOWNET_EDGES,
    durecdial_world,
    lambda w: item_triples(w, {"movie.people": "主演", "song.people": "演唱", "director": "导演", "genre": "类型"}),
    durecdial_dialog,
)

SAMPLES = {sample.name: sample for sample in (GORECDIAL, INSPIRED, OPENDIALKG, DURECDIAL)}


def generate(out_root: Path = DEFAULT_OUT, seed: int = 0) -> dict[str, dict[str, int]]:
    """Writes every sample (`redial/`, `tgredial/`, `gorecdial/`, ...) under `out_root`; returns the dialogs written
    per split file, per dataset."""
    out_root = Path(out_root)
    counts = {"redial": generate_redial(out_root / "redial", seed),
              "tgredial": generate_tgredial(out_root / "tgredial", seed)}
    for name, sample in SAMPLES.items():
        counts[name] = generate_sample(sample, out_root / name, seed)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    for dataset, counts in generate(args.out, args.seed).items():
        for name, count in counts.items():
            print(f"{args.out / dataset / name}: {count} dialogs")


if __name__ == "__main__":
    main()
