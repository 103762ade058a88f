"""Generate the small synthetic DuRecDial 2.0 sample that ships with crs_hf.

DuRecDial 2.0 is a bilingual (English / Chinese) parallel corpus of goal-driven conversational
recommendation dialogs. This script writes a few dozen *invented* dialogs in the exact raw format of the
published release, so that readers, builders and tests can run without the real data:

    durecdial2/{en,zh}_{train,dev,test}.txt   (24 / 8 / 8 dialogs, EN and ZH files aligned line by line)

Every person, film, song, restaurant, award and sentence below is fictional and written for crs_hf (real city
names and everyday dish names are used as plain vocabulary). Nothing is taken from the real dataset.

Format of one line (one dialog, JSON, UTF-8, not ASCII-escaped):
    goal             the goal plan, "[1]Greetings-->[2] Movie recommendation(Title)-->[3]Say goodbye"
                     (Chinese: "[1] 寒暄-->[2] 电影 推荐 ( 片名 )-->[3] 再见")
    user_profile     dict of the seeker's profile (Chinese keys and values are word-segmented)
    conversation     list of utterances; "[n] " opens the first utterance of goal n
    goal_topic_list  per utterance: the current goal's topic (the goal type itself for goals without a topic)
    goal_type_list   per utterance: the current goal's type
    situation        time / place (/ date, weekday, topic) of the chat
    knowledge        per utterance: EN one [s, r, o] triple or []; ZH a list of such triples or []
The bot speaks first when the first goal is Greetings (寒暄), otherwise the user does; turns alternate.
Chinese text is word-segmented with spaces, like the original.

Run (from the repository root):
    python -m crs_hf.data.samples.generate_durecdial2 [--out DIR] [--seed N]
    python crs_hf/data/samples/generate_durecdial2.py [--out DIR] [--seed N]
The default output folder is the `durecdial2` folder next to this file. Output is byte-identical across runs
for the same seed. The script imports nothing from crs_hf, so it runs both ways.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

DEFAULT_OUT = Path(__file__).resolve().parent / "durecdial2"
SPLIT_SIZES: dict[str, int] = {"train": 24, "dev": 8, "test": 8}
# Where each split starts in the cycle of plans below (train walks the whole cycle twice).
SPLIT_PLAN_OFFSETS: dict[str, int] = {"train": 0, "dev": 3, "test": 7}
MIN_UTTERANCES, MAX_UTTERANCES = 8, 20
MIN_SEGMENT, MAX_SEGMENT = 2, 6

BI = tuple[str, str]  # an (English, Chinese) pair of texts
Triple = list[str]
Know = tuple[Triple, list[Triple]]  # (EN triple or [], ZH list of triples)
NO_KNOWLEDGE: Know = ([], [])

# --------------------------------------------------------------------------------------------------------------
# Goal types: key -> (English type, Chinese type, who opens the goal)
# --------------------------------------------------------------------------------------------------------------
GOAL_TYPES: dict[str, tuple[str, str, str]] = {
    "greet": ("Greetings", "寒暄", "bot"),
    "qa": ("Q&A", "问答", "user"),
    "weather": ("Ask about weather", "问 天气", "user"),
    "date": ("Ask about date", "问 日期", "user"),
    "time": ("Ask about time", "问 时间", "user"),
    "demand": ("Music on demand", "音乐 点播", "user"),
    "stars": ("Chat about stars", "关于 明星 的 聊天", "bot"),
    "movie": ("Movie recommendation", "电影 推荐", "bot"),
    "music": ("Music recommendation", "音乐 推荐", "bot"),
    "play": ("Play music", "播放 音乐", "bot"),
    "food": ("Food recommendation", "美食 推荐", "bot"),
    "poi": ("POI recommendation", "兴趣点 推荐", "bot"),
    "name": ("Ask about user's name", "问 User 姓名", "bot"),
    "gender": ("Ask about user's gender", "问 User 性别", "bot"),
    "age": ("Ask about user's age", "问 User 年龄", "bot"),
    "hobby": ("Ask about user's hobbies", "问 User 爱好", "bot"),
    "askq": ("Ask questions", "提问", "bot"),
    "notify": ("Weather notification", "天气 信息 推送", "bot"),
    "bye": ("Say goodbye", "再见", "user"),
}
# In the published Chinese plans these goals carry a stray space before "-->".
ZH_PLAN_TRAILING_SPACE = {"qa", "play"}

# --------------------------------------------------------------------------------------------------------------
# The fictional world
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Star:
    key: str
    name: BI
    female: bool
    birthday: tuple[int, int, int]
    sign: BI
    height: int
    blood: str
    birthplace: BI
    intro: BI
    achievements: tuple[BI, BI]


@dataclass(frozen=True)
class Movie:
    title: BI
    star: str
    director: BI
    genre: BI
    rating: str
    comment: BI


@dataclass(frozen=True)
class Song:
    title: BI
    singer: str
    comment: BI
    mood: BI
    occasion: BI


@dataclass(frozen=True)
class Food:
    name: BI
    kind: BI
    ingredients: BI


@dataclass(frozen=True)
class Poi:
    name: BI
    food: str
    price: str
    rating: str
    address: BI


STARS: dict[str, Star] = {s.key: s for s in [
    Star("qiao", ("Mingyuan Qiao", "乔明远"), False, (1981, 4, 9), ("Aries", "白羊座"), 181, "A",
         ("Hangzhou", "杭州"),
         ("a singer famous for his warm ballads", "以 温暖 情歌 闻名 的 歌手"),
         (("Best Male Vocalist of the 7th Silver Lantern Music Awards", "第 7 届 银灯 音乐奖 最佳 男歌手"),
          ("Most Popular Singer of the 2015 Riverside Music Festival", "2015 年 江畔 音乐节 最 受欢迎 歌手"))),
    Star("lan", ("Xinyue Lan", "蓝心悦"), True, (1988, 9, 30), ("Libra", "天秤座"), 166, "O",
         ("Chengdu", "成都"),
         ("an actress who also sings beautifully", "一位 唱歌 也 很 动听 的 女演员"),
         (("Best Actress of the 12th Jade Harbor Film Festival", "第 12 届 玉港 电影节 最佳 女主角"),
          ("Best Newcomer of the 3rd Crescent Film Awards", "第 3 届 新月 电影奖 最佳 新人"))),
    Star("du", ("Haoran Du", "杜浩然"), False, (1975, 12, 2), ("Sagittarius", "射手座"), 178, "B",
         ("Xi'an", "西安"),
         ("a veteran actor known for playing detectives", "以 饰演 侦探 著称 的 老戏骨"),
         (("Lifetime Achievement Award of the Northern Screen Festival", "北境 影展 终身 成就奖"),
          ("Best Actor of the 9th Golden Pagoda Awards", "第 9 届 金塔奖 最佳 男主角"))),
    Star("shen", ("Yutong Shen", "沈雨桐"), True, (1995, 6, 14), ("Gemini", "双子座"), 163, "AB",
         ("Xiamen", "厦门"),
         ("a singer-songwriter with a clear and airy voice", "嗓音 清澈 空灵 的 创作型 歌手"),
         (("Newcomer of the Year on the Coastal Pop Chart", "海岸 流行 榜 年度 最佳 新人"),
          ("Best Original Song of the 4th Bluebird Music Awards", "第 4 届 青鸟 音乐奖 最佳 原创 歌曲"))),
    Star("luo", ("Kaiwen Luo", "罗凯文"), False, (1992, 2, 27), ("Pisces", "双鱼座"), 183, "O",
         ("Changsha", "长沙"),
         ("an energetic singer and actor loved by young fans", "深受 年轻 粉丝 喜爱 的 活力 唱 演 艺人"),
         (("Best Stage Performance of the 6th Starlight Pop Awards", "第 6 届 星光 流行 盛典 最佳 舞台 表演"),
          ("Most Promising Actor of the 2018 Eastbank Film Week", "2018 年 东岸 电影周 最具 潜力 男演员"))),
    Star("tang", ("Shuyi Tang", "唐舒怡"), True, (1984, 7, 19), ("Cancer", "巨蟹座"), 168, "A",
         ("Qingdao", "青岛"),
         ("an actress admired for her gentle and natural acting", "演技 温柔 自然 、 备受 赞誉 的 女演员"),
         (("Best Supporting Actress of the 10th Jade Harbor Film Festival", "第 10 届 玉港 电影节 最佳 女配角"),
          ("Audience Favorite Actress of the Maple Leaf Film Week", "枫叶 电影周 观众 最 喜爱 女演员"))),
]}

MOVIES: list[Movie] = [
    Movie(("Above the Cloud Sea", "云海之上"), "qiao", ("Dongsheng Yao", "姚东升"), ("Adventure", "冒险"), "7.6",
          ("A mountain rescue story with breathtaking scenery and a moving ending.",
           "一个 山地 救援 的 故事 ， 风景 壮丽 ， 结局 感人 。")),
    Movie(("Lanterns over the Harbor", "港湾灯火"), "lan", ("Lingzhi Hua", "华灵芝"), ("Romance", "爱情"), "8.1",
          ("A gentle love story in a fishing town, warm and full of small details.",
           "发生 在 渔港 小镇 的 温柔 爱情 故事 ， 细节 满满 ， 十分 温暖 。")),
    Movie(("The Ninth Clock Tower", "第九座钟楼"), "du", ("Zhen Ke", "柯振"), ("Crime", "犯罪"), "8.4",
          ("A tight detective thriller whose twists keep you guessing until the last minute.",
           "节奏 紧凑 的 侦探 悬疑片 ， 反转 不断 ， 直到 最后 一分钟 都 猜 不到 结局 。")),
    Movie(("Salt Road Detective", "盐道神探"), "du", ("Jianping Wei", "魏建平"), ("Mystery", "悬疑"), "7.9",
          ("An old-style mystery on an ancient salt trading road, with a witty and stubborn detective.",
           "发生 在 古老 盐道 上 的 复古 悬疑 故事 ， 侦探 机智 又 倔强 。")),
    Movie(("Runaway Dumplings", "饺子大逃亡"), "luo", ("Qiuyu Mo", "莫秋语"), ("Comedy", "喜剧"), "7.2",
          ("A silly, cheerful comedy about a food truck chase across the whole city.",
           "一部 关于 美食 餐车 满城 追逐 的 欢乐 喜剧 ， 笑点 密集 。")),
    Movie(("Letters to the Lighthouse", "写给灯塔的信"), "tang", ("Lingzhi Hua", "华灵芝"), ("Drama", "剧情"), "8.6",
          ("A quiet film about a lighthouse keeper's daughter; many viewers say it made them cry.",
           "讲述 守塔人 女儿 的 安静 电影 ， 很多 观众 说 看哭 了 。")),
    Movie(("Midnight Noodle Stand", "午夜面摊"), "tang", ("Dongsheng Yao", "姚东升"), ("Family", "家庭"), "7.8",
          ("A heartwarming film about a family running a late-night noodle stall.",
           "讲述 一家人 经营 深夜 面摊 的 温情 电影 ， 暖心 又 治愈 。")),
]

SONGS: list[Song] = [
    Song(("Slow Train Home", "慢车回家"), "qiao",
         ("A soft ballad about going home for the holidays, and the piano part is lovely.",
          "一首 关于 回家 过节 的 温柔 情歌 ， 钢琴 部分 特别 动人 。"),
         ("slow and tender", "舒缓 温柔"), ("a long train ride", "坐 长途 火车 的 时候")),
    Song(("A Letter from the Streetlight", "路灯来信"), "qiao",
         ("His voice in it sounds like a late-night talk with an old friend.",
          "他 在 这 首歌 里 的 声音 像 深夜 和 老朋友 谈心 。"),
         ("calm and a little nostalgic", "平静 又 有点 怀旧"), ("quiet nights", "安静 的 夜晚")),
    Song(("Quiet Harbor", "安静的港口"), "lan",
         ("The theme song of her own film, sung softly and sincerely.",
          "她 自己 主演 电影 的 主题曲 ， 唱 得 轻柔 又 真诚 。"),
         ("gentle and warm", "温柔 温暖"), ("a walk by the sea", "在 海边 散步 的 时候")),
    Song(("Glass Sea", "玻璃海"), "shen",
         ("Her airy voice makes this song feel like a breeze over the water.",
          "她 空灵 的 嗓音 让 这 首歌 像 海面 上 吹过 的 微风 。"),
         ("dreamy and light", "梦幻 轻盈"), ("rainy afternoons", "下雨 的 午后")),
    Song(("Tangerine Afternoon", "橘子午后"), "shen",
         ("A light and sweet tune that puts everyone in a good mood.",
          "旋律 轻快 甜美 ， 谁 听 了 心情 都 会 变好 。"),
         ("bright and sweet", "明快 甜美"), ("a lazy weekend", "悠闲 的 周末")),
    Song(("Little Comet", "小彗星"), "shen",
         ("A hopeful song she wrote for people who are chasing their dreams.",
          "她 写给 追梦人 的 一首 充满 希望 的 歌 。"),
         ("hopeful and uplifting", "充满 希望 、 振奋 人心"), ("studying late at night", "熬夜 学习 的 时候")),
    Song(("Run Beyond the City", "奔出城外"), "luo",
         ("Fast beats and a catchy chorus, full of youthful energy.",
          "节奏 明快 ， 副歌 很 抓耳 ， 充满 青春 活力 。"),
         ("fast and energetic", "快速 有 活力"), ("a morning jog", "晨跑 的 时候")),
    Song(("Neon Rooftop", "霓虹屋顶"), "luo",
         ("A relaxed city-pop track that feels like a summer night.",
          "一首 慵懒 的 城市 流行 歌曲 ， 很 有 夏夜 的 感觉 。"),
         ("relaxed and groovy", "慵懒 有 律动"), ("the drive home", "开车 回家 的 路上")),
]

FOODS: dict[str, Food] = {f.name[0]: f for f in [
    Food(("Lion's Head Meatballs", "红烧狮子头"), ("Hot dish", "热菜"),
         ("pork, water chestnuts and soy sauce", "猪肉 、 荸荠 、 酱油")),
    Food(("Beer Braised Duck", "啤酒鸭"), ("Hot dish", "热菜"), ("duck, beer and dried chili", "鸭肉 、 啤酒 、 干辣椒")),
    Food(("Tomato Beef Brisket", "番茄牛腩"), ("Hot dish", "热菜"),
         ("beef brisket, tomatoes and potatoes", "牛腩 、 番茄 、 土豆")),
    Food(("Clay Pot Congee", "砂锅粥"), ("Staple food", "主食"), ("rice, shrimp and dried scallops", "大米 、 鲜虾 、 干贝")),
    Food(("Numbing Pepper Chicken", "椒麻鸡"), ("Cold dish", "凉菜"),
         ("chicken, green Sichuan pepper and chili oil", "鸡肉 、 青花椒 、 红油")),
    Food(("Garlic Steamed Scallops", "蒜蓉粉丝蒸扇贝"), ("Seafood", "海鲜"),
         ("scallops, garlic and glass noodles", "扇贝 、 蒜蓉 、 粉丝")),
]}

POIS: list[Poi] = [
    Poi(("Lion Lane Kitchen", "狮子巷小厨"), "Lion's Head Meatballs", "68", "4.5",
        ("No. 18, Willow Bank Road", "柳岸路 18 号")),
    Poi(("Riverlight Duck House", "江灯鸭馆"), "Beer Braised Duck", "55", "4.3",
        ("2nd floor, Harbor Star Mall, No. 6 Ferry Street", "渡口街 6 号 港星 商场 2 楼")),
    Poi(("Red Pot Brisket Shop", "红锅牛腩铺"), "Tomato Beef Brisket", "48", "4.6",
        ("No. 233, Pine Hill Avenue", "松山 大道 233 号")),
    Poi(("Old Dock Congee House", "老码头砂锅粥"), "Clay Pot Congee", "42", "4.4",
        ("No. 9, East Lantern Alley", "灯笼巷 东 9 号")),
    Poi(("Green Pepper Garden", "青椒园"), "Numbing Pepper Chicken", "60", "4.2",
        ("No. 51, Bamboo Grove Street", "竹林街 51 号")),
    Poi(("Tideside Seafood Bistro", "潮边海鲜小馆"), "Garlic Steamed Scallops", "96", "4.7",
        ("No. 3, Seagull Pier", "海鸥 码头 3 号")),
]

CITIES: list[BI] = [("Hangzhou", "杭州"), ("Nanjing", "南京"), ("Wuhan", "武汉"), ("Kunming", "昆明"), ("Harbin", "哈尔滨"),
                    ("Suzhou", "苏州"), ("Hefei", "合肥"), ("Nanning", "南宁"), ("Taiyuan", "太原"), ("Dalian", "大连")]
WEATHER_CONDITIONS: list[tuple[str, str, bool]] = [  # EN, ZH, rainy
    ("Sunny", "晴", False), ("Cloudy", "多云", False), ("Overcast", "阴", False),
    ("Light rain", "小雨", True), ("Showers", "阵雨", True)]
SKY_WORDS: dict[str, BI] = {"Sunny": ("sunny", "晴朗"), "Cloudy": ("cloudy", "多云"), "Overcast": ("gray", "阴沉"),
                            "Light rain": ("rainy", "下雨"), "Showers": ("showery", "阵雨")}
WINDS: list[BI] = [("north", "北风"), ("southeast", "东南风"), ("west", "西风"), ("northeast", "东北风"), ("south", "南风")]

FAMILY_NAMES: list[BI] = [("Meng", "孟"), ("Qin", "秦"), ("Gu", "顾"), ("Jiang", "江"), ("Su", "苏"), ("Bai", "白"),
                          ("Lu", "陆"), ("Yan", "严"), ("Fang", "方"), ("Xia", "夏")]
GIVEN_NAMES_FEMALE: list[BI] = [("Ruoxi", "若溪"), ("Wanqing", "婉清"), ("Siyu", "思语"), ("Mengjie", "梦洁"),
                                ("Lanxin", "兰心"), ("Yuening", "悦宁")]
GIVEN_NAMES_MALE: list[BI] = [("Zhiyuan", "志远"), ("Jiale", "嘉乐"), ("Yichen", "亦辰"), ("Tianyu", "天宇"),
                              ("Haonan", "浩楠"), ("Junhe", "俊赫")]
# (EN range, ZH range, youngest, oldest, possible occupations)
AGE_GROUPS: list[tuple[str, str, int, int, tuple[str, ...]]] = [
    ("Under 18 years old", "小于18", 14, 17, ("student",)),
    ("18-25", "18-25", 19, 25, ("student", "employed")),
    ("26-35", "26-35", 27, 35, ("employed",)),
    ("36-50", "36-50", 38, 49, ("employed",)),
    ("Over 50 years old", "大于50", 52, 66, ("employed", "retired")),
]
OCCUPATIONS: dict[str, BI] = {"student": ("Student", "学生"), "employed": ("Employed", "工作"), "retired": ("Retired", "退休")}
# Where and when the chat happens, per occupation: (hour choices, EN place with its separator, ZH place)
SLOTS: dict[str, list[tuple[tuple[int, ...], str, str]]] = {
    "student": [((7,), ", on the way to school", "去 上学 路上"), ((12,), ", at school", "在 学校"),
                ((18,), ",on the way home", "回家路上"), ((20, 21), ", at home", "在 家里")],
    "employed": [((8,), ", on the way to work", "去 上班 路上"), ((12,), ", at work", "在 公司"),
                 ((18,), ",on the way home", "回家路上"), ((19, 21, 22), ", at home", "在 家里")],
    "retired": [((9, 15), ", at home", "在 家里"), ((20,), ", at home", "在 家里")],
}
# Situation topics of a Greetings opening: (EN, ZH, occupations, user's answer, bot's follow-up, user's reaction)
GREETING_TOPICS: list[tuple[BI, tuple[str, ...], BI, BI, BI]] = [
    (("Finished a big project", "完成 大 项目"), ("employed",),
     ("Pretty good! I finally wrapped up a big project at work today.", "挺 好 的 ！ 今天 终于 把 公司 的 大 项目 做 完 了 。"),
     ("Congratulations, all that hard work paid off.", "恭喜 你 ， 辛苦 总算 没有 白费 。"),
     ("Thanks, now I can finally breathe a little.", "谢谢 ， 现在 总算 可以 喘 口气 了 。")),
    (("Won a chess match", "下棋 赢 了"), ("student", "employed", "retired"),
     ("Great, I won a chess match today!", "很 开心 ， 我 今天 下棋 赢 了 一局 ！"),
     ("Well played! You must have been thinking several moves ahead.", "厉害 ！ 你 一定 提前 想好 了 好几步 。"),
     ("Ha, my opponent made one careless move and I took the chance.", "哈哈 ， 对手 一步 失误 ， 我 就 抓住 机会 了 。")),
    (("Caught a cold", "有点 感冒"), ("student", "employed", "retired"),
     ("Not so great, I seem to have caught a cold.", "不 太 好 ， 我 好像 有点 感冒 了 。"),
     ("Oh no, drink plenty of warm water and get some rest.", "哎呀 ， 多 喝 点 热水 ， 好好 休息 一下 。"),
     ("I will, thank you for caring about me.", "我 会 的 ， 谢谢 你 的 关心 。")),
    (("Full marks in a math test", "数学 考 了 满分"), ("student",),
     ("Wonderful, I got full marks on my math test!", "特别 好 ， 我 数学 考试 考 了 满分 ！"),
     ("That's amazing, your practice really paid off.", "太 厉害 了 ， 平时 的 练习 没有 白费 。"),
     ("Thanks, I'm going to treat myself to something nice.", "谢谢 ， 我 打算 好好 犒劳 一下 自己 。")),
    (("Planted new flowers", "种 了 新 花"), ("retired",),
     ("Very relaxing, I planted some new flowers on my balcony.", "很 悠闲 ， 我 在 阳台 上 种 了 些 新 花 。"),
     ("How lovely, your balcony must look like a little garden.", "真 好 ， 你 的 阳台 一定 像 个 小 花园 。"),
     ("It does, the neighbors all stop to look at it.", "是 啊 ， 邻居 们 路过 都 要 看 两眼 。")),
]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
WEEKDAYS: list[BI] = [("Monday", "一"), ("Tuesday", "二"), ("Wednesday", "三"), ("Thursday", "四"), ("Friday", "五"),
                      ("Saturday", "六"), ("Sunday", "日")]

# --------------------------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Utt:
    """One utterance in both languages with its grounding knowledge."""

    en: str
    zh: str
    ken: Triple = field(default_factory=list)
    kzh: list[Triple] = field(default_factory=list)


@dataclass
class Parts:
    """The material of one goal segment.

    A segment is `opener`, then some of `pairs` (two turns each), then some of `closers`; the turns alternate,
    so the opener starts with the goal's opening speaker and everything after it follows on.
    """

    opener: list[Utt]
    pairs: list[tuple[Utt, Utt]] = field(default_factory=list)
    closers: list[Utt] = field(default_factory=list)

    def lengths(self) -> list[int]:
        a = len(self.opener)
        sizes = {a + 2 * k + c for k in range(len(self.pairs) + 1) for c in range(len(self.closers) + 1)}
        return sorted(n for n in sizes if MIN_SEGMENT <= n <= MAX_SEGMENT)

    def assemble(self, length: int) -> list[Utt]:
        rest = length - len(self.opener)
        for c in range(len(self.closers), -1, -1):  # prefer rounding the segment off with its closers
            k, odd = divmod(rest - c, 2)
            if rest - c >= 0 and not odd and k <= len(self.pairs):
                return self.opener + [u for pair in self.pairs[:k] for u in pair] + self.closers[:c]
        raise ValueError(f"segment cannot have {length} utterances")


@dataclass
class Goal:
    kind: str
    topic: BI | None
    parts: Parts


class Fields:
    """The values that fill the {placeholders} of the EN and ZH templates."""

    def __init__(self, en: dict[str, str] | None = None, zh: dict[str, str] | None = None) -> None:
        self.en = dict(en or {})
        self.zh = dict(zh or {})

    def plus(self, **values: BI) -> Fields:
        out = Fields(self.en, self.zh)
        for key, (en, zh) in values.items():
            out.en[key], out.zh[key] = en, zh
        return out


def star_fields(star: Star) -> dict[str, BI]:
    return {
        "star": star.name,
        "He": ("She" if star.female else "He", "她" if star.female else "他"),
        "he": ("she" if star.female else "he", "她" if star.female else "他"),
        "his": ("her" if star.female else "his", "她" if star.female else "他"),
        "His": ("Her" if star.female else "His", "她" if star.female else "他"),
        "him": ("her" if star.female else "him", "她" if star.female else "他"),
    }


def birthday_text(star: Star) -> str:
    y, m, d = star.birthday
    return f"{y} - {m} - {d}"


@dataclass
class User:
    name: BI
    female: bool
    age_group: tuple[str, str, int, int, tuple[str, ...]]
    age: int
    occupation: str
    city: BI


@dataclass
class Weather:
    cond: str
    cond_zh: str
    rainy: bool
    wind: BI
    high: int
    low: int

    def triple_en(self) -> str:
        return f"{self.cond} with {self.wind[0]} winds. The high will be {self.high} ℃, and low {self.low} ℃"

    def triple_zh(self) -> str:
        return f"{self.cond_zh} , {self.wind[1]} , 最高 气温 ： {self.high} ℃ , 最低气温 ： {self.low} ℃"

    def compact_zh(self) -> str:
        return f"{self.cond_zh}, {self.wind[1]}, 最高气温：{self.high}℃, 最低气温：{self.low}℃"

    def spoken(self) -> BI:
        return (f"{self.cond.lower()} with {self.wind[0]} winds, a high of {self.high} ℃ and a low of {self.low} ℃",
                f"{self.cond_zh} ， {self.wind[1]} ， 最高 气温 {self.high} ℃ ， 最低 气温 {self.low} ℃")


class Ctx:
    """Everything one dialog's templates may refer to."""

    def __init__(self, rng: random.Random, user: User, date: datetime.date, hour: int, minute: int,
                 place_en: str, place_zh: str, weather: Weather) -> None:
        self.rng = rng
        self.user = user
        self.date = date
        self.hour = hour
        self.minute = minute
        self.place_en = place_en
        self.place_zh = place_zh
        self.weather = weather
        self.base = Fields().plus(name=user.name, city=user.city)

    # --- time helpers -------------------------------------------------------------------------------------------
    @property
    def part_of_day(self) -> str:
        h = self.hour
        return "morning" if h < 11 else "noon" if h < 13 else "afternoon" if h < 19 else "evening"

    @property
    def tod_zh(self) -> str:
        return {"morning": "上午", "noon": "中午", "afternoon": "下午", "evening": "晚上"}[self.part_of_day]

    def clock_en(self) -> str:
        return f"{self.hour}:{self.minute:02d}"

    def clock_zh(self) -> str:
        return f"{self.tod_zh} {self.hour} : {self.minute:02d}"

    def date_text(self) -> str:
        return f"20 {self.date.year % 100} - {self.date.month} - {self.date.day}"

    def date_key(self) -> str:
        return f"{self.date.year}-{self.date.month}-{self.date.day}"

    def weekday(self) -> BI:
        return WEEKDAYS[self.date.weekday()]

    # --- templates ------------------------------------------------------------------------------------------
    def say(self, variants: Sequence[BI], fields: Fields | None = None, know: Know = NO_KNOWLEDGE) -> Utt:
        en, zh = self.rng.choice(list(variants))
        f = fields or self.base
        return Utt(en.format(**f.en), zh.format(**f.zh), list(know[0]), [list(t) for t in know[1]])


def know(en: Triple, *zh: Triple) -> Know:
    return (list(en), [list(t) for t in zh])


# --------------------------------------------------------------------------------------------------------------
# Goal builders: each returns the Parts of one goal segment
# --------------------------------------------------------------------------------------------------------------


def greet_parts(ctx: Ctx, topic: tuple | None, with_name: bool) -> Parts:
    hello = {"morning": ("Good morning", "早上好"), "noon": ("Hi there", "中午好"),
             "afternoon": ("Good afternoon", "下午好"), "evening": ("Good evening", "晚上好")}[ctx.part_of_day]
    f = ctx.base.plus(hello=hello)
    if with_name:
        opener = ctx.say([("{hello}, {name}! How has your day been so far?", "{hello} ， {name} ！ 今天 过得 怎么样 ？"),
                          ("{hello}, {name}! Anything new with you today?", "{hello} 呀 ， {name} ！ 今天 有 什么 新鲜事 吗 ？")], f)
    else:
        opener = ctx.say([("{hello}! How has your day been so far?", "{hello} ！ 你 今天 过得 怎么样 ？"),
                          ("{hello}! It's nice to chat with you again.", "{hello} ！ 很 高兴 又 能 和 你 聊天 。")], f)
    if topic is not None:
        _, _, answer, follow_up, reaction = topic
        reply = ctx.say([answer], f)
        pairs = [(ctx.say([follow_up], f), ctx.say([reaction], f))]
    else:
        reply = ctx.say([("Not bad, I finally have a little free time.", "还 不错 ， 终于 有 一点 空闲 时间 了 。"),
                         ("Quite good, everything went smoothly today.", "挺 好 的 ， 今天 一切 都 很 顺利 。")], f)
        pairs = [(ctx.say([("Glad to hear it, you deserve a break.", "那 就 好 ， 你 也 该 放松 一下 了 。")], f),
                  ctx.say([("Yes, I'm in a relaxed mood right now.", "是 啊 ， 我 现在 心情 很 放松 。")], f))]
    closers = [ctx.say([("Then let me keep you company for a while.", "那 我 就 陪 你 聊 一会儿 吧 。")], f),
               ctx.say([("Sounds good, I was hoping for a chat.", "好 呀 ， 我 正 想 找 人 聊聊 呢 。")], f)]
    return Parts([opener, reply], pairs, closers)


def qa_parts(ctx: Ctx, star: Star, question: str, item: BI | None) -> Parts:
    f = ctx.base.plus(**star_fields(star))
    s_en, s_zh = star.name
    if question == "sings":
        assert item is not None
        f = f.plus(song=item)
        k = know([s_en, "Sings", item[0]], [s_zh, "演唱", item[1]])
        q = ctx.say([("Do you know who sings {song}?", "你 知道 《 {song} 》 是 谁 唱 的 吗 ？")], f, k)
        a = ctx.say([("It's sung by {star}.", "这 首歌 是 {star} 唱 的 哦 。")], f, k)
    elif question == "stars":
        assert item is not None
        f = f.plus(movie=item)
        k = know([s_en, "Stars", item[0]], [s_zh, "主演", item[1]])
        q = ctx.say([("Who plays the lead in the film {movie}?", "电影 《 {movie} 》 的 主演 是 谁 呀 ？")], f, k)
        a = ctx.say([("The lead actor is {star}.", "主演 是 {star} 。")], f, k)
    elif question == "birthday":
        y, m, d = star.birthday
        f = f.plus(when=(f"{MONTHS_EN[m - 1]} {d}", f"{m} 月 {d} 日"))
        k = know([s_en, "Birthday", birthday_text(star)], [s_zh, "生日", birthday_text(star)])
        q = ctx.say([("When is {star}'s birthday?", "{star} 的 生日 是 哪 天 ？")], f, k)
        a = ctx.say([("{star} was born on {when}.", "{star} 的 生日 是 {when} 。")], f, k)
    elif question == "height":
        f = f.plus(cm=(str(star.height), str(star.height)))
        k = know([s_en, "Height", f"{star.height}cm"], [s_zh, "身高", f"{star.height}cm"])
        q = ctx.say([("How tall is {star}?", "{star} 有 多 高 ？")], f, k)
        a = ctx.say([("{He} is {cm} centimeters tall.", "{he} 身高 {cm} 厘米 。")], f, k)
    elif question == "sign":
        f = f.plus(sign=star.sign)
        k = know([s_en, "Star sign", star.sign[0]], [s_zh, "星座", star.sign[1]])
        q = ctx.say([("What is {star}'s star sign?", "{star} 是 什么 星座 的 ？")], f, k)
        a = ctx.say([("{star} is {sign}.", "{star} 是 {sign} 的 。")], f, k)
    elif question == "blood":
        f = f.plus(blood=(star.blood, star.blood))
        k = know([s_en, "Blood Type", star.blood], [s_zh, "血型", star.blood])
        q = ctx.say([("Do you happen to know {star}'s blood type?", "你 知道 {star} 是 什么 血型 吗 ？")], f, k)
        a = ctx.say([("{star} has blood type {blood}.", "{star} 的 血型 是 {blood} 型 。")], f, k)
    else:  # birthplace
        f = f.plus(place=star.birthplace)
        k = know([s_en, "Birthplace", star.birthplace[0]], [s_zh, "出生地", star.birthplace[1]])
        q = ctx.say([("Where was {star} born?", "{star} 是 在 哪里 出生 的 ？")], f, k)
        a = ctx.say([("{He} was born in {place}.", "{he} 出生 在 {place} 。")], f, k)
    if question in ("sings", "stars"):  # the answer reveals who it is
        reaction = ctx.say([("Oh, so it's {him}! I like {him} a lot.", "原来 是 {him} 啊 ！ 我 挺 喜欢 {him} 的 。")], f)
    else:
        reaction = ctx.say([("I always wondered about that, I like {him} a lot.", "我 一直 想 知道 这个 ， 我 挺 喜欢 {him} 的 。")], f)
    pairs = [(reaction,
              ctx.say([("{He} has plenty of fans, and you are clearly one of them.",
                        "{he} 的 粉丝 很多 ， 看来 你 也 是 其中 之一 。")], f))]
    closers = [ctx.say([("You really know everything, thanks a lot!", "你 懂 得 真 多 ， 太 感谢 了 ！"),
                        ("Thanks, you answered that in no time.", "谢谢 ， 你 回答 得 好 快 。")], f)]
    return Parts([q, a], pairs, closers)


def weather_parts(ctx: Ctx) -> Parts:
    w = ctx.weather
    f = ctx.base.plus(report=w.spoken())
    k = know([ctx.user.city[0], ctx.date_key(), w.triple_en()], [ctx.user.city[1], ctx.date_key(), w.triple_zh()])
    q = ctx.say([("What's the weather like in {city} today?", "今天 {city} 天气 怎么样 ？"),
                 ("Could you check today's weather for me?", "能 帮 我 查 一下 今天 的 天气 吗 ？")], f, k)
    a = ctx.say([("Today in {city} it's {report}.", "{city} 今天 {report} 。")], f, k)
    if w.rainy:
        pair = (ctx.say([("Do I need to take an umbrella?", "那 我 出门 要 带 伞 吗 ？")], f),
                ctx.say([("Yes, better take one, the rain may last all day.", "要 带 哦 ， 雨 可能 会 下 一整天 。")], f))
    else:
        pair = (ctx.say([("Do I need to take an umbrella?", "那 我 出门 要 带 伞 吗 ？")], f),
                ctx.say([("No need, it won't rain today.", "不用 带 ， 今天 不会 下雨 。")], f))
    closers = [ctx.say([("Great, that's really helpful, thanks.", "太 好 了 ， 很 有用 ， 谢谢 。")], f)]
    return Parts([q, a], [pair], closers)


def date_parts(ctx: Ctx) -> Parts:
    d = ctx.date
    f = ctx.base.plus(day=(f"{MONTHS_EN[d.month - 1]} {d.day}, {d.year}", f"20 {d.year % 100} 年 {d.month} 月 {d.day} 日"),
                      weekday=ctx.weekday())
    k = know(["chat", "Date", ctx.date_text()], ["聊天", "日期", ctx.date_text()])
    q = ctx.say([("Which date is it today? I keep forgetting.", "今天 是 几月 几号 ？ 我 老是 记不住 。"),
                 ("Can you tell me today's date?", "能 告诉 我 今天 的 日期 吗 ？")], f, k)
    a = ctx.say([("Today is {day}.", "今天 是 {day} 。")], f, k)
    pairs = [(ctx.say([("And which day of the week is it?", "那 今天 星期 几 ？")], f),
              ctx.say([("It's {weekday}.", "今天 是 星期{weekday} 。")], f))]
    closers = [ctx.say([("Thanks, I had completely lost track of the date.", "谢谢 ， 我 都 忘 了 今天 几号 了 。")], f)]
    return Parts([q, a], pairs, closers)


def time_parts(ctx: Ctx) -> Parts:
    h12 = ctx.hour % 12 or 12
    when_en = {"morning": "in the morning", "noon": "at noon", "afternoon": "in the afternoon",
               "evening": "in the evening"}[ctx.part_of_day]
    f = ctx.base.plus(now=(f"{h12}:{ctx.minute:02d} {when_en}",
                           f"{ctx.tod_zh} {ctx.hour} 点 {ctx.minute} 分"))
    k = know(["chat", "Time", f"{ctx.clock_en()}{ctx.place_en}"],
             ["聊天", "时间", f"{ctx.tod_zh} {ctx.hour} ： {ctx.minute:02d} ， {ctx.place_zh}"])
    q = ctx.say([("Do you know what time it is right now?", "你 知道 现在 具体 几点 吗 ？"),
                 ("Could you tell me the time?", "能 告诉 我 现在 的 时间 吗 ？")], f, k)
    a = ctx.say([("It's {now}.", "现在 是 {now} 。")], f, k)
    if ctx.part_of_day == "morning":
        pairs = [(ctx.say([("Oh, then I'd better hurry up a little.", "哦 ， 那 我 得 抓紧 点 了 。")], f),
                  ctx.say([("No need to rush, but don't be late.", "别 太 着急 ， 不过 也 别 迟到 哦 。")], f))]
    else:
        pairs = [(ctx.say([("Already? Time really flies today.", "已经 这么 晚 了 ？ 今天 时间 过得 真 快 。")], f),
                  ctx.say([("It does, especially when you're busy.", "是 啊 ， 忙 起来 时间 就 过得 特别 快 。")], f))]
    closers = [ctx.say([("Thanks for letting me know.", "谢谢 你 告诉 我 。")], f)]
    return Parts([q, a], pairs, closers)


def demand_parts(ctx: Ctx, song: Song) -> Parts:
    star = STARS[song.singer]
    f = ctx.base.plus(song=song.title, **star_fields(star))
    q = ctx.say([("Please play {song} for me.", "帮 我 放 一首 《 {song} 》 。"),
                 ("I'd like to hear {song}, please.", "我 想 听 《 {song} 》 。")], f)
    a = ctx.say([("Sure, playing {star}'s {song} now.", "好 的 ， 正在 为 你 播放 {star} 的 《 {song} 》 。")], f)
    pairs = [(ctx.say([("This song always helps me relax.", "这 首歌 总是 能 让 我 放松 下来 。")], f),
              ctx.say([("It's a lovely song, I enjoy it too.", "这 首歌 很 动听 ， 我 也 很 喜欢 。")], f))]
    closers = [ctx.say([("Thank you, the sound is just right.", "谢谢 ， 音量 刚刚 好 。")], f)]
    return Parts([q, a], pairs, closers)


def stars_parts(ctx: Ctx, star: Star, lead: str, song: Song | None = None) -> Parts:
    f = ctx.base.plus(**star_fields(star))
    s_en, s_zh = star.name
    (a1_en, a1_zh), (a2_en, a2_zh) = star.achievements
    f = f.plus(ach=(a1_en, a1_zh), ach2=(a2_en, a2_zh), intro=star.intro, place=star.birthplace)
    k_ach = know([s_en, "Achievement", a1_en], [s_zh, "成就", a1_zh])
    k_ach2 = know([s_en, "Achievement", a2_en], [s_zh, "成就", a2_zh])
    k_intro = know([s_en, "Intro", star.intro[0]], [s_zh, "简介", star.intro[1]])
    k_place = know([s_en, "Birthplace", star.birthplace[0]], [s_zh, "出生地", star.birthplace[1]])
    intro_pair = (ctx.say([("Is {he} really that talented?", "{he} 真的 有 那么 厉害 吗 ？")], f),
                  ctx.say([("Of course, {he} is {intro}.", "当然 ， {he} 可是 {intro} 。")], f, k_intro))
    if lead == "after_movie":
        opener = ctx.say([("{star} is great in that film. Did you know {he} also won the {ach}?",
                           "{star} 在 那部 电影 里 表现 很 出色 ， 你 知道 {he} 还 获得 过 {ach} 吗 ？")], f, k_ach)
    elif lead == "after_qa":
        opener = ctx.say([("Speaking of {star}, {he} once won the {ach}.", "说到 {star} ， {he} 还 曾经 获得 过 {ach} 呢 。"),
                          ("{star} is really impressive, {he} won the {ach}.", "{star} 真的 很 厉害 ， {he} 获得 过 {ach} 。")],
                         f, k_ach)
    elif lead == "after_song":
        assert song is not None
        f = f.plus(song=song.title)
        opener = ctx.say([("{song} is sung by {star}, isn't it? {He} is {intro}.",
                           "《 {song} 》 是 {star} 唱 的 吧 ？ {he} 是 {intro} 。")],
                         f, know([s_en, "Intro", star.intro[0]], [s_zh, "演唱", song.title[1]], [s_zh, "简介", star.intro[1]]))
        intro_pair = (ctx.say([("Yes, I've liked {him} for years.", "对 ， 我 喜欢 {him} 好多年 了 。")], f,
                              know([ctx.user.name[0], "Likes", s_en], [ctx.user.name[1], "喜欢", s_zh])),
                      ctx.say([("Then you must know that {he} won the {ach}.", "那 你 一定 知道 {he} 获得 过 {ach} 吧 。")], f, k_ach))
    elif lead == "birthday":
        opener = ctx.say([("By the way, today is also {star}'s birthday! {He} won the {ach}.",
                           "对 了 ， 今天 还是 {star} 的 生日 呢 ！ {he} 获得 过 {ach} 。")],
                         f, know([s_en, "Birthday", birthday_text(star)],
                                 [s_zh, "生日", birthday_text(star)], [s_zh, "成就", a1_zh]))
    else:  # "cold": nothing leads into the star
        opener = ctx.say([("Do you know {star}? {He} won the {ach}.", "你 知道 {star} 吗 ？ {he} 获得 过 {ach} 。"),
                          ("Let me tell you about {star}, who won the {ach}.", "跟 你 聊聊 {star} 吧 ， {he} 获得 过 {ach} 。")],
                         f, k_ach)
    pairs = [
        intro_pair,
        (ctx.say([("What else do you know about {him}?", "关于 {him} 你 还 知道 什么 ？")], f),
         ctx.say([("{He} also won the {ach2}.", "{he} 还 获得 过 {ach2} 。")], f, k_ach2)),
        (ctx.say([("Where is {he} from, by the way?", "对 了 ， {he} 是 哪里 人 ？")], f),
         ctx.say([("{He} was born in {place}.", "{he} 出生 在 {place} 。")], f, k_place)),
    ]
    closers = [ctx.say([("The more I hear, the more I like {him}.", "越 听 越 喜欢 {him} 了 。"),
                        ("{He} is really admirable.", "{he} 真是 让 人 佩服 。")], f),
               ctx.say([("I can tell you're a real fan!", "看得出来 你 是 真 粉丝 ！")], f)]
    return Parts([opener], pairs, closers)


def movie_parts(ctx: Ctx, movie: Movie, lead: str) -> Parts:
    star = STARS[movie.star]
    f = ctx.base.plus(movie=movie.title, comment=movie.comment, director=movie.director, genre=movie.genre,
                      rating=(movie.rating, movie.rating), **star_fields(star))
    m_en, m_zh = movie.title
    zh_k = [[star.name[1], "主演", m_zh], [m_zh, "评论", movie.comment[1]]]
    if lead == "after_star":
        opener = ctx.say([("Then you should watch {his} film {movie}. {comment}",
                           "那 你 一定 要 看看 {he} 主演 的 《 {movie} 》 ， {comment}")],
                         f, ([star.name[0], "Stars", m_en], zh_k))
    elif lead == "after_hobby":
        opener = ctx.say([("Since you enjoy movies, I recommend {movie}, starring {star}. {comment}",
                           "既然 你 喜欢 看 电影 ， 推荐 你 看 {star} 主演 的 《 {movie} 》 ， {comment}")],
                         f, ([m_en, "Comments", movie.comment[0]], zh_k))
    else:  # "cold"
        opener = ctx.say([("Have you seen {movie}? It stars {star}. {comment}",
                           "你 看过 《 {movie} 》 吗 ？ 是 {star} 主演 的 ， {comment}")],
                         f, ([m_en, "Comments", movie.comment[0]], zh_k))
    pairs = [
        (ctx.say([("Do you know who directed this one?", "这部 电影 是 谁 导演 的 ？")], f,
                 know([m_en, "Director", movie.director[0]], [m_zh, "导演", movie.director[1]])),
         ctx.say([("It was directed by {director}.", "导演 是 {director} 。")], f,
                 know([m_en, "Director", movie.director[0]], [m_zh, "导演", movie.director[1]]))),
        (ctx.say([("What kind of film is it?", "这 是 什么 类型 的 电影 ？")], f,
                 know([m_en, "Type", movie.genre[0]], [m_zh, "类型", movie.genre[1]])),
         ctx.say([("It's a {genre} film.", "是 一部 {genre} 片 。")], f,
                 know([m_en, "Type", movie.genre[0]], [m_zh, "类型", movie.genre[1]]))),
        (ctx.say([("How well is it rated?", "它 的 评分 高 吗 ？")], f,
                 know([m_en, "Rating", movie.rating], [m_zh, "评分", movie.rating])),
         ctx.say([("Quite well, it has a rating of {rating}.", "挺 高 的 ， 评分 有 {rating} 分 。")], f,
                 know([m_en, "Rating", movie.rating], [m_zh, "评分", movie.rating]))),
    ]
    ctx.rng.shuffle(pairs)
    closers = [ctx.say([("Sounds great, I'll watch it this weekend.", "听 起来 很 不错 ， 我 周末 就 去 看 。"),
                        ("All right, I'll find time to watch it.", "好 的 ， 我 找 时间 看看 。")], f),
               ctx.say([("I'm sure you'll enjoy every minute of it.", "相信 你 会 看 得 很 过瘾 的 。")], f)]
    return Parts([opener], pairs, closers)


def music_parts(ctx: Ctx, song: Song, lead: str) -> Parts:
    star = STARS[song.singer]
    f = ctx.base.plus(song=song.title, comment=song.comment, mood=song.mood, occasion=song.occasion,
                      **star_fields(star))
    k = ([song.title[0], "Comments", song.comment[0]],
         [[star.name[1], "演唱", song.title[1]], [song.title[1], "评论", song.comment[1]]])
    if lead == "after_hobby":
        opener = ctx.say([("Since you love music, I recommend {star}'s {song}. {comment}",
                           "既然 你 喜欢 听 音乐 ， 推荐 你 听听 {star} 的 《 {song} 》 ， {comment}")], f, k)
    elif lead == "after_demand":
        opener = ctx.say([("If you like that one, try {star}'s {song} as well. {comment}",
                           "喜欢 这 首 的话 ， 也 试试 {star} 的 《 {song} 》 吧 ， {comment}")], f, k)
    else:  # "after_star"
        opener = ctx.say([("Since you like {star}, you should listen to {his} song {song}. {comment}",
                           "既然 你 喜欢 {star} ， 那 一定 要 听听 {he} 的 《 {song} 》 ， {comment}")], f, k)
    pairs = [
        (ctx.say([("What does it sound like?", "这 首歌 是 什么 风格 的 ？")], f),
         ctx.say([("It's {mood}, very easy to get into.", "曲风 {mood} ， 很 容易 听 进去 。")], f)),
        (ctx.say([("When is the best time to listen to it?", "什么 时候 听 最 合适 ？")], f),
         ctx.say([("It's perfect for {occasion}.", "特别 适合 {occasion} 听 。")], f)),
    ]
    ctx.rng.shuffle(pairs)
    closers = [ctx.say([("Sounds nice, I'd love to hear it.", "听 起来 不错 ， 我 很 想 听听 。")], f),
               ctx.say([("I promise you won't be disappointed.", "保证 你 不会 失望 的 。")], f)]
    return Parts([opener], pairs, closers)


def play_parts(ctx: Ctx, song: Song) -> Parts:
    f = ctx.base.plus(song=song.title)
    opener = [ctx.say([("Shall I play {song} for you now?", "现在 要 为 你 播放 《 {song} 》 吗 ？")], f),
              ctx.say([("Yes, please play it right away.", "好 啊 ， 现在 就 放 吧 。"),
                       ("Sure, go ahead and play it.", "可以 ， 放 给 我 听听 吧 。")], f),
              ctx.say([("OK, now playing {song}. Enjoy!", "好 的 ， 正在 播放 《 {song} 》 ， 请 欣赏 ！")], f)]
    pairs = [(ctx.say([("The melody is really soothing.", "旋律 真的 很 治愈 。")], f),
              ctx.say([("The more you listen, the more you'll like it.", "越 听 越 有 味道 哦 。")], f))]
    closers = [ctx.say([("I'll add it to my playlist.", "我 要 把 它 加到 歌单 里 。")], f),
               ctx.say([("Good idea, then you can play it anytime.", "好 主意 ， 这样 随时 都 能 听 了 。")], f)]
    return Parts(opener, pairs, closers)


def food_parts(ctx: Ctx, food: Food) -> Parts:
    w = ctx.weather
    f = ctx.base.plus(food=food.name, kind=food.kind, ingredients=food.ingredients,
                      sky=SKY_WORDS[w.cond])
    opener = ctx.say([("With {sky} weather like this, {food} would be perfect.", "这样 {sky} 的 天气 ， 最 适合 来 一份 {food} 了 。"),
                      ("On a {sky} day like today, how about some {food}?", "今天 {sky} ， 来 点 {food} 怎么样 ？")],
                     f, know([w.triple_en(), "Perfect for having", food.name[0]], [w.compact_zh(), "适合吃", food.name[1]]))
    k_ing = know([food.name[0], "Ingredients", food.ingredients[0]], [food.name[1], "成分", food.ingredients[1]])
    k_kind = know([food.name[0], "Type", food.kind[0]], [food.name[1], "类型", food.kind[1]])
    pairs = [(ctx.say([("What is it made of?", "它 是 用 什么 做 的 ？")], f, k_ing),
              ctx.say([("It's made with {ingredients}.", "主要 用 {ingredients} 做成 。")], f, k_ing)),
             (ctx.say([("Is it a hot dish or a cold one?", "这 是 热菜 还是 凉菜 ？")], f, k_kind),
              ctx.say([("It belongs to the category {kind}.", "它 属于 {kind} 。")], f, k_kind))]
    closers = [ctx.say([("That already makes me hungry!", "说 得 我 都 饿 了 ！")], f),
               ctx.say([("Then treat yourself to it today.", "那 今天 就 犒劳 一下 自己 吧 。")], f)]
    return Parts([opener], pairs, closers)


def poi_parts(ctx: Ctx, poi: Poi) -> Parts:
    food = FOODS[poi.food]
    f = ctx.base.plus(poi=poi.name, food=food.name, price=(poi.price, poi.price), rating=(poi.rating, poi.rating),
                      address=poi.address)
    p_en, p_zh = poi.name
    opener = ctx.say([("For {food}, I recommend {poi}. It's their specialty.",
                       "想 吃 {food} 的话 ， 推荐 你 去 {poi} ， 那 是 他们 的 招牌菜 。")],
                     f, know([p_en, "Specials", food.name[0]], [p_zh, "特色菜", food.name[1]]))
    k_price = know([p_en, "Price per person", poi.price], [p_zh, "人均价格", poi.price])
    k_rating = know([p_en, "Rating", poi.rating], [p_zh, "评分", poi.rating])
    k_addr = know([p_en, "Address", poi.address[0]], [p_zh, "地址", poi.address[1]])
    pairs = [(ctx.say([("How much does it cost per person?", "人均 消费 大概 多少 ？")], f, k_price),
              ctx.say([("About {price} yuan per person.", "人均 {price} 元 左右 。")], f, k_price)),
             (ctx.say([("What's its rating?", "这家 店 评分 怎么样 ？")], f, k_rating),
              ctx.say([("It's rated {rating}, quite popular.", "评分 {rating} ， 人气 很 旺 。")], f, k_rating)),
             (ctx.say([("Where exactly is it?", "具体 在 什么 位置 ？")], f, k_addr),
              ctx.say([("It's at {address}.", "地址 是 {address} 。")], f, k_addr))]
    ctx.rng.shuffle(pairs)
    closers = [ctx.say([("Please book a table for two tonight.", "帮 我 订 一张 今晚 的 两人 桌 吧 。")], f),
               ctx.say([("Done, your table for tonight is reserved.", "已经 帮 你 订好 今晚 的 位子 了 。")], f)]
    return Parts([opener], pairs, closers)


def name_parts(ctx: Ctx) -> Parts:
    f = ctx.base
    return Parts([ctx.say([("By the way, may I ask your name?", "对 了 ， 可以 问 一下 你 叫 什么 名字 吗 ？")], f),
                  ctx.say([("My name is {name}.", "我 叫 {name} 。")], f)],
                 [(ctx.say([("What a lovely name!", "这个 名字 真 好听 ！")], f),
                   ctx.say([("Thank you, my grandfather picked it.", "谢谢 ， 是 我 爷爷 给 我 取 的 。")], f))],
                 [ctx.say([("Nice to meet you, {name}.", "很 高兴 认识 你 ， {name} 。")], f)])


def gender_parts(ctx: Ctx) -> Parts:
    young = ctx.user.age < 18
    word = (("a girl", "女生") if young else ("a woman", "女士")) if ctx.user.female else \
        (("a boy", "男生") if young else ("a man", "男士"))
    f = ctx.base.plus(word=word)
    if young:
        q = ctx.say([("Are you a boy or a girl, if I may ask?", "可以 问 一下 ， 你 是 男孩子 还是 女孩子 吗 ？")], f)
    else:
        q = ctx.say([("May I ask whether you are a man or a woman?", "请问 你 是 男士 还是 女士 ？")], f)
    return Parts([q, ctx.say([("I'm {word}, thanks for asking.", "我 是 {word} ， 谢谢 你 问 。")], f)],
                 [(ctx.say([("Thanks, I just wanted to get to know you better.", "谢谢 ， 我 只是 想 多 了解 你 一点 。")], f),
                   ctx.say([("No problem, ask me anything.", "没关系 ， 随便 问 吧 。")], f))],
                 [ctx.say([("Got it, thank you for telling me.", "明白 了 ， 谢谢 你 告诉 我 。")], f)])


def age_parts(ctx: Ctx) -> Parts:
    f = ctx.base.plus(age=(str(ctx.user.age), str(ctx.user.age)))
    return Parts([ctx.say([("How old are you, if you don't mind me asking?", "方便 问 一下 你 今年 多 大 了 吗 ？")], f),
                  ctx.say([("I just turned {age} this year.", "我 今年 刚满 {age} 周岁 。")], f)],
                 [(ctx.say([("That's a wonderful age.", "这个 年纪 真 好 。")], f),
                   ctx.say([("Thanks, I'm enjoying it.", "谢谢 ， 我 也 挺 享受 的 。")], f))],
                 [ctx.say([("Every age has its own fun.", "每个 年纪 都 有 自己 的 乐趣 。")], f)])


HOBBIES: dict[str, tuple[str, str, str, str]] = {  # key -> (EN Prefers value, ZH value, EN phrase, ZH phrase)
    "music": ("music", "音乐", "listening to music", "听 音乐"),
    "movie": ("Movie", "电影", "watching movies", "看 电影"),
    "news": ("News", "新闻", "reading the news", "看 新闻"),
    "stars": ("celebrities", "明星", "following celebrities", "关注 明星"),
}


def hobby_parts(ctx: Ctx, hobbies: list[str]) -> Parts:
    """`hobbies[0]` leads into the next goal, `hobbies[1]` is mentioned too."""
    h1, h2 = HOBBIES[hobbies[0]], HOBBIES[hobbies[1]]
    n_en, n_zh = ctx.user.name
    f = ctx.base.plus(h1=(h1[2], h1[3]), h2=(h2[2], h2[3]))
    zh_k = [[n_zh, "喜好", h2[1]], [n_zh, "喜好", h1[1]]]
    q = ctx.say([("What do you enjoy doing when you have some free time?", "你 有 空闲 时间 的 时候 喜欢 做 些 什么 ？")], f,
                ([n_en, "Prefers", h1[0]], zh_k))
    a = ctx.say([("I like {h1}, and sometimes {h2}.", "我 喜欢 {h1} ， 有时候 也 {h2} 。")], f,
                ([n_en, "Prefers", h2[0]], zh_k))
    return Parts([q, a],
                 [(ctx.say([("Those are great ways to relax.", "这些 都是 很 好 的 放松 方式 。")], f),
                   ctx.say([("Yes, they help me unwind after a long day.", "是 啊 ， 忙 了 一天 靠 它们 放松 。")], f))],
                 [ctx.say([("Then I have something you might like.", "那 我 正好 有 个 东西 你 可能 会 喜欢 。")], f)])


def askq_parts(ctx: Ctx, song: Song) -> Parts:
    f = ctx.base.plus(song=song.title)
    k = know([ctx.user.name[0], "Likes", song.title[0]], [ctx.user.name[1], "喜欢", song.title[1]])
    return Parts([ctx.say([("Which song have you been listening to most lately?", "你 最近 听 得 最 多 的 是 哪 首歌 ？")], f, k),
                  ctx.say([("Mostly {song}, I play it every day.", "主要 是 《 {song} 》 ， 我 每天 都 听 。")], f, k)],
                 [(ctx.say([("That's a wonderful choice.", "这 首 选 得 很 好 。")], f),
                   ctx.say([("It never gets old for me.", "我 怎么 听 都 不 腻 。")], f))],
                 [ctx.say([("You have great taste in music.", "你 的 音乐 品味 真 不错 。")], f)])


def notify_parts(ctx: Ctx) -> Parts:
    w = ctx.weather
    f = ctx.base.plus(report=w.spoken())
    k = know([ctx.user.city[0], ctx.date_key(), w.triple_en()], [ctx.user.city[1], ctx.date_key(), w.triple_zh()])
    opener = [ctx.say([("By the way, here is today's weather for {city}: {report}.",
                        "顺便 提醒 你 ， {city} 今天 的 天气 ： {report} 。")], f, k),
              ctx.say([("Thanks for the weather reminder, very thoughtful.", "谢谢 你 的 天气 提醒 ， 真 贴心 。")], f)]
    if w.rainy:
        pair = (ctx.say([("Don't forget your umbrella if you go out.", "出门 别 忘了 带 伞 哦 。")], f),
                ctx.say([("OK, I'll put one in my bag.", "好 的 ， 我 放 一把 在 包 里 。")], f))
    else:
        pair = (ctx.say([("It's a nice day for a walk outside.", "今天 很 适合 出去 走走 。")], f),
                ctx.say([("Maybe I'll go to the park later.", "那 我 等会儿 去 公园 转转 。")], f))
    return Parts(opener, [pair], [ctx.say([("Have a pleasant day.", "祝 你 今天 愉快 。")], f)])


def bye_parts(ctx: Ctx) -> Parts:
    f = ctx.base
    if ctx.part_of_day == "evening" and ctx.hour >= 21:
        first = ctx.say([("I'm getting sleepy, I'll go to bed now. Talk to you tomorrow.",
                          "我 有点 困 了 ， 先 去 睡 了 ， 明天 再 聊 。")], f)
        second = ctx.say([("Good night, sleep well!", "晚安 ， 做 个 好梦 ！")], f)
    elif "work" in ctx.place_en or "school" in ctx.place_en:
        first = ctx.say([("I have to get going now, let's chat again later.", "我 得 先 忙 去 了 ， 回头 再 聊 。")], f)
        second = ctx.say([("Sure, have a productive day!", "好 的 ， 祝 你 一切 顺利 ！")], f)
    else:
        first = ctx.say([("I have something else to do now, talk to you next time.", "我 还有 别的 事 ， 下次 再 聊 吧 。"),
                         ("That's all for now, thanks for the chat.", "先 聊 到 这儿 吧 ， 谢谢 你 陪 我 聊天 。")], f)
        second = ctx.say([("OK, see you next time, take care!", "好 的 ， 下次 见 ， 保重 ！")], f)
    return Parts([first, second], [], [ctx.say([("Bye, and thanks again!", "拜拜 ， 再次 感谢 ！")], f)])


# --------------------------------------------------------------------------------------------------------------
# Dialog plans
# --------------------------------------------------------------------------------------------------------------


def songs_by(star_key: str) -> list[Song]:
    return [s for s in SONGS if s.singer == star_key]


def movies_by(star_key: str) -> list[Movie]:
    return [m for m in MOVIES if m.star == star_key]


@dataclass
class Plan:
    goals: list[Goal]
    situation: str  # "plain", "dated", "date_first" or "topic"
    greet_topic: tuple | None = None
    stars: list[str] = field(default_factory=list)
    movies: list[Movie] = field(default_factory=list)
    songs: list[Song] = field(default_factory=list)
    liked_song: Song | None = None
    food: Food | None = None
    poi: Poi | None = None
    hobbies: list[str] = field(default_factory=list)


def pick_greet_topic(ctx: Ctx) -> tuple | None:
    fitting = [t for t in GREETING_TOPICS if ctx.user.occupation in t[1]]
    return ctx.rng.choice(fitting) if fitting and ctx.rng.random() < 0.6 else None


def greet_goal(ctx: Ctx, plan: Plan, with_name: bool = True) -> Goal:
    plan.greet_topic = pick_greet_topic(ctx)
    plan.situation = "topic" if plan.greet_topic else "plain"
    return Goal("greet", None, greet_parts(ctx, plan.greet_topic, with_name))


def plan_greet_movie_star_music(ctx: Ctx) -> Plan:
    """Greetings -> Movie rec -> Chat about stars -> Music rec -> Play music -> Say goodbye."""
    rng = ctx.rng
    star = STARS[rng.choice(["qiao", "lan", "luo"])]
    movie, song = rng.choice(movies_by(star.key)), rng.choice(songs_by(star.key))
    plan = Plan([], "plain", stars=[star.key], movies=[movie], songs=[song])
    plan.goals = [greet_goal(ctx, plan),
                  Goal("movie", movie.title, movie_parts(ctx, movie, "cold")),
                  Goal("stars", star.name, stars_parts(ctx, star, "after_movie")),
                  Goal("music", song.title, music_parts(ctx, song, "after_star")),
                  Goal("play", song.title, play_parts(ctx, song)),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_qa_star_music(ctx: Ctx) -> Plan:
    """Q&A -> Chat about stars -> Music rec -> Play music -> Say goodbye."""
    rng = ctx.rng
    star = STARS[rng.choice(["qiao", "shen", "luo"])]
    songs = songs_by(star.key)
    rng.shuffle(songs)
    question = rng.choice(["sings", "birthday", "height", "sign", "blood"])
    asked = songs[1] if question == "sings" else None
    plan = Plan([], "plain", stars=[star.key], songs=[songs[0]] + ([asked] if asked else []))
    plan.goals = [Goal("qa", star.name, qa_parts(ctx, star, question, asked.title if asked else None)),
                  Goal("stars", star.name, stars_parts(ctx, star, "after_qa")),
                  Goal("music", songs[0].title, music_parts(ctx, songs[0], "after_star")),
                  Goal("play", songs[0].title, play_parts(ctx, songs[0])),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_greet_user_info_music(ctx: Ctx) -> Plan:
    """Greetings -> name -> gender -> age -> hobbies -> Music rec -> Say goodbye."""
    song = ctx.rng.choice(SONGS)
    plan = Plan([], "plain", stars=[song.singer], songs=[song], hobbies=["music", ctx.rng.choice(["movie", "news"])])
    plan.goals = [greet_goal(ctx, plan, with_name=False),
                  Goal("name", None, name_parts(ctx)),
                  Goal("gender", None, gender_parts(ctx)),
                  Goal("age", None, age_parts(ctx)),
                  Goal("hobby", None, hobby_parts(ctx, plan.hobbies)),
                  Goal("music", song.title, music_parts(ctx, song, "after_hobby")),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_weather_food_poi(ctx: Ctx) -> Plan:
    """Ask about weather -> Food rec -> POI rec -> Say goodbye."""
    poi = ctx.rng.choice(POIS)
    food = FOODS[poi.food]
    plan = Plan([], "dated", food=food, poi=poi)
    plan.goals = [Goal("weather", None, weather_parts(ctx)),
                  Goal("food", food.name, food_parts(ctx, food)),
                  Goal("poi", poi.name, poi_parts(ctx, poi)),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_greet_askq_star_music(ctx: Ctx) -> Plan:
    """Greetings -> Ask questions -> Chat about stars -> Music rec -> Play music -> Say goodbye."""
    rng = ctx.rng
    star = STARS[rng.choice(["qiao", "shen", "luo"])]
    songs = songs_by(star.key)
    rng.shuffle(songs)
    liked, recommended = songs[0], songs[1]
    plan = Plan([], "plain", stars=[star.key], songs=[recommended], liked_song=liked)
    plan.goals = [greet_goal(ctx, plan),
                  Goal("askq", None, askq_parts(ctx, liked)),
                  Goal("stars", star.name, stars_parts(ctx, star, "after_song", liked)),
                  Goal("music", recommended.title, music_parts(ctx, recommended, "after_star")),
                  Goal("play", recommended.title, play_parts(ctx, recommended)),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_date_star_movie(ctx: Ctx) -> Plan:
    """Ask about date -> Chat about stars (it is the star's birthday) -> Movie rec -> Say goodbye."""
    star = STARS[ctx.rng.choice(["du", "tang", "lan"])]
    ctx.date = datetime.date(2019, star.birthday[1], star.birthday[2])
    movie = ctx.rng.choice(movies_by(star.key))
    plan = Plan([], "date_first", stars=[star.key], movies=[movie])
    plan.goals = [Goal("date", None, date_parts(ctx)),
                  Goal("stars", star.name, stars_parts(ctx, star, "birthday")),
                  Goal("movie", movie.title, movie_parts(ctx, movie, "after_star")),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_greet_star_movie(ctx: Ctx) -> Plan:
    """Greetings -> Chat about stars -> Movie rec -> Say goodbye."""
    star = STARS[ctx.rng.choice(["du", "tang", "luo", "qiao"])]
    movie = ctx.rng.choice(movies_by(star.key))
    plan = Plan([], "plain", stars=[star.key], movies=[movie])
    plan.goals = [greet_goal(ctx, plan),
                  Goal("stars", star.name, stars_parts(ctx, star, "cold")),
                  Goal("movie", movie.title, movie_parts(ctx, movie, "after_star")),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_time_notify_food(ctx: Ctx) -> Plan:
    """Ask about time -> Weather notification -> Food rec -> Say goodbye."""
    food = FOODS[ctx.rng.choice(sorted(FOODS))]
    plan = Plan([], "dated", food=food)
    plan.goals = [Goal("time", None, time_parts(ctx)),
                  Goal("notify", None, notify_parts(ctx)),
                  Goal("food", food.name, food_parts(ctx, food)),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_greet_notify_food_poi(ctx: Ctx) -> Plan:
    """Greetings -> Weather notification -> Food rec -> POI rec -> Say goodbye."""
    poi = ctx.rng.choice(POIS)
    food = FOODS[poi.food]
    plan = Plan([], "dated", food=food, poi=poi)
    plan.goals = [greet_goal(ctx, plan),
                  Goal("notify", None, notify_parts(ctx)),
                  Goal("food", food.name, food_parts(ctx, food)),
                  Goal("poi", poi.name, poi_parts(ctx, poi)),
                  Goal("bye", None, bye_parts(ctx))]
    plan.situation = "dated"
    return plan


def plan_demand_music_play(ctx: Ctx) -> Plan:
    """Music on demand -> Music rec (same singer) -> Play music -> Say goodbye."""
    star_key = ctx.rng.choice(["qiao", "shen", "luo"])
    songs = songs_by(star_key)
    ctx.rng.shuffle(songs)
    asked, recommended = songs[0], songs[1]
    plan = Plan([], "plain", stars=[star_key], songs=[asked, recommended], liked_song=asked)
    plan.goals = [Goal("demand", asked.title, demand_parts(ctx, asked)),
                  Goal("music", recommended.title, music_parts(ctx, recommended, "after_demand")),
                  Goal("play", recommended.title, play_parts(ctx, recommended)),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_greet_hobby_movie(ctx: Ctx) -> Plan:
    """Greetings -> hobbies -> Movie rec -> Say goodbye."""
    movie = ctx.rng.choice(MOVIES)
    plan = Plan([], "plain", stars=[movie.star], movies=[movie], hobbies=["movie", ctx.rng.choice(["music", "stars"])])
    plan.goals = [greet_goal(ctx, plan),
                  Goal("hobby", None, hobby_parts(ctx, plan.hobbies)),
                  Goal("movie", movie.title, movie_parts(ctx, movie, "after_hobby")),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


def plan_qa_star_movie(ctx: Ctx) -> Plan:
    """Q&A (who stars in a film) -> Chat about stars -> Movie rec -> Say goodbye."""
    star = STARS[ctx.rng.choice(["du", "tang"])]
    asked, recommended = movies_by(star.key)
    if ctx.rng.random() < 0.5:
        asked, recommended = recommended, asked
    question = ctx.rng.choice(["stars", "stars", "birthplace", "sign"])
    plan = Plan([], "plain", stars=[star.key], movies=[recommended] + ([asked] if question == "stars" else []))
    plan.goals = [Goal("qa", star.name, qa_parts(ctx, star, question, asked.title)),
                  Goal("stars", star.name, stars_parts(ctx, star, "after_qa")),
                  Goal("movie", recommended.title, movie_parts(ctx, recommended, "after_star")),
                  Goal("bye", None, bye_parts(ctx))]
    return plan


# Alternating bot-first (Greetings) and user-first plans, so any 8 consecutive plans show both speaker orders.
PLANS: list[Callable[[Ctx], Plan]] = [
    plan_greet_movie_star_music, plan_qa_star_music, plan_greet_user_info_music, plan_weather_food_poi,
    plan_greet_askq_star_music, plan_date_star_movie, plan_greet_star_movie, plan_time_notify_food,
    plan_greet_notify_food_poi, plan_demand_music_play, plan_greet_hobby_movie, plan_qa_star_movie,
]

# --------------------------------------------------------------------------------------------------------------
# Putting a dialog together
# --------------------------------------------------------------------------------------------------------------


def make_user(rng: random.Random) -> User:
    female = rng.random() < 0.5
    given = rng.choice(GIVEN_NAMES_FEMALE if female else GIVEN_NAMES_MALE)
    family = rng.choice(FAMILY_NAMES)
    group = rng.choice(AGE_GROUPS)
    return User(name=(f"{given[0]} {family[0]}", family[1] + given[1]), female=female, age_group=group,
                age=rng.randint(group[2], group[3]), occupation=rng.choice(group[4]), city=rng.choice(CITIES))


def make_weather(rng: random.Random, month: int) -> Weather:
    cond, cond_zh, rainy = rng.choice(WEATHER_CONDITIONS)
    high = rng.randint(23, 33) if 5 <= month <= 9 else rng.randint(4, 13) if month == 12 else rng.randint(13, 24)
    return Weather(cond, cond_zh, rainy, rng.choice(WINDS), high, high - rng.randint(5, 10))


def situation_text(ctx: Ctx, plan: Plan) -> BI:
    en = f"Time: {ctx.clock_en()}{ctx.place_en}"
    zh = f"聊天 时间 : {ctx.clock_zh()} ， {ctx.place_zh}"
    if plan.situation == "dated":
        day_en, day_zh = ctx.weekday()
        en = f"Time: {ctx.date_text()}   {ctx.clock_en()}{ctx.place_en}   {day_en}"
        zh = f"聊天 时间 : {ctx.date_text()}   {ctx.clock_zh()} ， {ctx.place_zh}   星期{day_zh}"
    elif plan.situation == "date_first":
        zh = f"聊天 日期 : {ctx.date_text()} {zh}"
    elif plan.situation == "topic" and plan.greet_topic is not None:
        t_en, t_zh = plan.greet_topic[0]
        en, zh = f"{en} Topic: {t_en}", f"{zh}     聊天 主题 : {t_zh}"
    return en, zh


def make_profile(rng: random.Random, user: User, plan: Plan) -> tuple[dict, dict]:
    """A profile consistent with the dialog: what is recommended is accepted, one unused domain is rejected."""
    used = {g.kind for g in plan.goals}
    domains = {"News": ("News", "新闻"), "Movie": ("Movie", "电影"), "music": ("music", "音乐"), "Poi": ("Poi", "poi")}
    unused = [d for d in domains if not ((d == "Movie" and used & {"movie"})
                                        or (d == "music" and used & {"music", "play", "demand", "askq"})
                                        or (d == "Poi" and "poi" in used))]
    if "movie" in plan.hobbies:
        unused = [d for d in unused if d != "Movie"]
    if "music" in plan.hobbies:
        unused = [d for d in unused if d != "music"]
    if "news" in plan.hobbies:
        unused = [d for d in unused if d != "News"]
    rejected = rng.choice(unused)

    stars = list(plan.stars)
    extra = rng.choice(sorted(k for k in STARS if k not in stars))
    stars.append(extra)
    food = plan.food or FOODS[rng.choice(sorted(FOODS))]

    en: dict = {"Name": user.name[0], "Gender": "Female" if user.female else "Male", "Age Range": user.age_group[0],
                "Residence": user.city[0], "Occupation": OCCUPATIONS[user.occupation][0],
                "Accepted food": food.name[0], "Accepted celebrities": [STARS[k].name[0] for k in stars],
                "Reject": [domains[rejected][0]]}
    zh: dict = {"姓名": user.name[1], "性别": "女" if user.female else "男", "年龄区间": user.age_group[1],
                "居住地": user.city[1], "职业状态": OCCUPATIONS[user.occupation][1],
                "同意 的 美食": food.name[1], "喜欢 的 明星": [STARS[k].name[1] for k in stars],
                "拒绝": [domains[rejected][1]]}
    if rejected != "music":
        accepted = list(plan.songs) + [s for s in SONGS if s.singer == extra][:1]
        others = [s for s in SONGS if s not in accepted and s != plan.liked_song]
        liked = plan.liked_song or rng.choice(others)
        rejected_songs = [s for s in others if s != liked][:1] if others else []
        en["Accepted Music"] = [s.title[0] for s in accepted]
        zh["接受 的 音乐"] = [s.title[1] for s in accepted]
        en["Rejected music"] = [s.title[0] for s in rejected_songs]
        zh["没有接受 的 音乐"] = [s.title[1] for s in rejected_songs]
        en["Accepted music"] = [liked.title[0]]
        zh["喜欢 的 音乐"] = [liked.title[1]]
    if rejected != "Movie":
        accepted_m = list(plan.movies)
        others_m = [m for m in MOVIES if m not in accepted_m]
        rng.shuffle(others_m)
        en["Accepted movies"] = [m.title[0] for m in accepted_m]
        zh["接受 的 电影"] = [m.title[1] for m in accepted_m]
        en["Accepted movie"] = [others_m[0].title[0]]
        zh["喜欢 的 电影"] = [others_m[0].title[1]]
        en["Rejected movies"] = [others_m[1].title[0]]
        zh["没有接受 的 电影"] = [others_m[1].title[1]]
    if rejected != "News":
        en["Favorite news"] = [f"{STARS[k].name[0]}'s news" for k in stars]
        zh["喜欢 的 新闻"] = [f"{STARS[k].name[1]} 的新闻" for k in stars]
    if rejected != "Poi":
        poi = plan.poi or next(p for p in POIS if p.food == food.name[0])
        en["Accepted POI"] = poi.name[0]
        zh["同意 的 poi"] = poi.name[1]
    return en, zh


def plan_string(goals: list[Goal]) -> BI:
    en_parts, zh_parts = [], []
    for n, goal in enumerate(goals, 1):
        t_en, t_zh, _ = GOAL_TYPES[goal.kind]
        if goal.topic is None:
            en_parts.append(f"[{n}]{t_en}")
            zh_parts.append(f"[{n}] {t_zh}")
        else:
            en_parts.append(f"[{n}] {t_en}({goal.topic[0]})")
            zh_parts.append(f"[{n}] {t_zh} ( {goal.topic[1]} )" + (" " if goal.kind in ZH_PLAN_TRAILING_SPACE else ""))
    return "-->".join(en_parts), "-->".join(zh_parts)


def choose_lengths(rng: random.Random, goals: list[Goal]) -> list[int]:
    """Pick a length per goal so that each goal opens with its own opening speaker and the dialog has 8-20 turns."""
    options: list[list[int]] = []
    for i, goal in enumerate(goals):
        lengths = goal.parts.lengths()
        if i + 1 < len(goals):
            same = GOAL_TYPES[goal.kind][2] == GOAL_TYPES[goals[i + 1].kind][2]
            lengths = [n for n in lengths if (n % 2 == 0) == same]
        if not lengths:
            raise ValueError(f"no usable length for goal {goal.kind!r}")
        options.append(lengths)
    for _ in range(200):
        picked = [rng.choice(o) for o in options]
        if MIN_UTTERANCES <= sum(picked) <= MAX_UTTERANCES:
            return picked
    picked = [o[0] for o in options]
    if not MIN_UTTERANCES <= sum(picked) <= MAX_UTTERANCES:
        raise ValueError("plan cannot fit the dialog length limits")
    return picked


def make_dialog(rng: random.Random, plan_fn: Callable[[Ctx], Plan]) -> tuple[dict, dict]:
    user = make_user(rng)
    hours, place_en, place_zh = rng.choice(SLOTS[user.occupation])
    date = datetime.date(2019, 3, 1) + datetime.timedelta(days=rng.randrange(270))
    ctx = Ctx(rng, user, date, rng.choice(hours), rng.choice([5, 10, 20, 25, 35, 40, 50]), place_en, place_zh,
              make_weather(rng, date.month))
    plan = plan_fn(ctx)
    goals = plan.goals
    assert goals[-1].kind == "bye"
    lengths = choose_lengths(rng, goals)
    bot_first = goals[0].kind == "greet"

    conv_en: list[str] = []
    conv_zh: list[str] = []
    types_en: list[str] = []
    types_zh: list[str] = []
    topics_en: list[str] = []
    topics_zh: list[str] = []
    know_en: list[Triple] = []
    know_zh: list[list[Triple]] = []
    for n, (goal, length) in enumerate(zip(goals, lengths), 1):
        start = len(conv_en)
        speaker = "bot" if (start % 2 == 0) == bot_first else "user"
        if speaker != GOAL_TYPES[goal.kind][2]:
            raise AssertionError(f"goal {goal.kind!r} would be opened by the {speaker}")
        t_en, t_zh, _ = GOAL_TYPES[goal.kind]
        topic = goal.topic or (t_en, t_zh)
        for j, utt in enumerate(goal.parts.assemble(length)):
            prefix = f"[{n}] " if j == 0 else ""
            conv_en.append(prefix + utt.en)
            conv_zh.append(prefix + utt.zh)
            types_en.append(t_en)
            types_zh.append(t_zh)
            topics_en.append(topic[0])
            topics_zh.append(topic[1])
            know_en.append(utt.ken)
            know_zh.append(utt.kzh)

    goal_en, goal_zh = plan_string(goals)
    profile_en, profile_zh = make_profile(rng, user, plan)
    situation_en, situation_zh = situation_text(ctx, plan)
    en = {"goal": goal_en, "user_profile": profile_en, "conversation": conv_en, "goal_topic_list": topics_en,
          "goal_type_list": types_en, "situation": situation_en, "knowledge": know_en}
    zh = {"goal": goal_zh, "user_profile": profile_zh, "conversation": conv_zh, "goal_topic_list": topics_zh,
          "goal_type_list": types_zh, "situation": situation_zh, "knowledge": know_zh}
    return en, zh


def generate(out_dir: Path, seed: int = 0) -> dict[str, int]:
    """Write {en,zh}_{train,dev,test}.txt under `out_dir`; return the number of dialogs written per file."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    for split, size in SPLIT_SIZES.items():
        lines: dict[str, list[str]] = {"en": [], "zh": []}
        for i in range(size):
            plan_fn = PLANS[(SPLIT_PLAN_OFFSETS[split] + i) % len(PLANS)]
            en, zh = make_dialog(rng, plan_fn)
            lines["en"].append(json.dumps(en, ensure_ascii=False))
            lines["zh"].append(json.dumps(zh, ensure_ascii=False))
        for lang, rows in lines.items():
            name = f"{lang}_{split}.txt"
            (out_dir / name).write_text("".join(row + "\n" for row in rows), encoding="utf-8", newline="\n")
            counts[name] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)
    for name, count in generate(args.out, args.seed).items():
        print(f"{args.out / name}: {count} dialogs")


if __name__ == "__main__":
    main()
