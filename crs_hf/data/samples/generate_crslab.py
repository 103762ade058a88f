"""Generate the small synthetic ReDial and TG-ReDial samples that ship with crs_hf, in CRSLab's processed format.

CRSLab's processed release is the one form of these datasets that has every config (dialogs, entity and word KGs,
item list, id tables), so the samples use it:

    redial/    {train,valid,test}_data.json (12 / 4 / 4 dialogs), token2id.json, entity2id.json,
               dbpedia_subkg.json (KGSF's id adjacency), concept2id.json, conceptnet_subkg.txt, movie_ids.json
    tgredial/  {train,valid,test}_data.json (12 / 4 / 4 dialogs), token2id.json, topic2id.json, entity2id.json,
               cn-dbpedia.txt, word2id.json, hownet.txt, movie_ids.json, user2history.json, user2profile.json

Every movie, person, sentence and user below is invented for crs_hf from small word lists; nothing is taken from
the real datasets. Both samples have 60 movies (CRSLab's ranking evaluation needs at least 50 items) and TG-ReDial
60 topics (its policy evaluation needs 50); every TG-ReDial user has exactly 10 profile sentences.

ReDial's KG processing keeps only relations with more than 1000 edges. In the sample, every movie stars nine of
the people, which gives the "starring" relation 540 triples, 1080 edges in both directions, so the default
processing keeps exactly that relation (the others, and the self-loops of the 60 heads, fall under the threshold).

Run (from the repository root; the output is byte-identical across runs for the same seed):
    python -m crs_hf.data.samples.generate_crslab [--out DIR] [--seed N]
The script imports nothing from crs_hf, so it also runs as a plain file.
"""

from __future__ import annotations

import argparse
import json
import random
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


def generate(out_root: Path = DEFAULT_OUT, seed: int = 0) -> dict[str, dict[str, int]]:
    """Writes `redial/` and `tgredial/` under `out_root`; returns the dialogs written per split file."""
    out_root = Path(out_root)
    return {"redial": generate_redial(out_root / "redial", seed),
            "tgredial": generate_tgredial(out_root / "tgredial", seed)}


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
