"""BibTeX entries cited by crs_hf's dataset builders, metrics and model cards, kept once."""

CRSLAB = """\
@inproceedings{zhou-etal-2021-crslab,
    title = "{CRSL}ab: An Open-Source Toolkit for Building Conversational Recommender System",
    author = "Zhou, Kun and Wang, Xiaolei and Zhou, Yuanhang and Shang, Chenzhan and Cheng, Yuan and Zhao, Wayne Xin and Li, Yaliang and Wen, Ji-Rong",
    booktitle = "Proceedings of the 59th Annual Meeting of the ACL: System Demonstrations",
    year = "2021",
}
"""

DURECDIAL2 = """\
@inproceedings{liu-etal-2021-durecdial,
    title = "{D}u{R}ec{D}ial 2.0: A Bilingual Parallel Corpus for Conversational Recommendation",
    author = "Liu, Zeming and Wang, Haifeng and Niu, Zheng-Yu and Wu, Hua and Che, Wanxiang",
    booktitle = "Proceedings of the 2021 Conference on Empirical Methods in Natural Language Processing",
    year = "2021",
    publisher = "Association for Computational Linguistics",
    url = "https://aclanthology.org/2021.emnlp-main.356",
    doi = "10.18653/v1/2021.emnlp-main.356",
    pages = "4335--4347",
}
"""

DUCONV = """\
@inproceedings{wu-etal-2019-proactive,
    title = "Proactive Human-Machine Conversation with Explicit Conversation Goal",
    author = "Wu, Wenquan and Guo, Zhen and Zhou, Xiangyang and Wu, Hua and Zhang, Xiyuan and Lian, Rongzhong and Wang, Haifeng",
    booktitle = "Proceedings of the 57th Annual Meeting of the ACL",
    year = "2019",
}
"""

BLEU = """\
@inproceedings{papineni-etal-2002-bleu,
    title = "{B}leu: a Method for Automatic Evaluation of Machine Translation",
    author = "Papineni, Kishore and Roukos, Salim and Ward, Todd and Zhu, Wei-Jing",
    booktitle = "Proceedings of the 40th Annual Meeting of the ACL",
    year = "2002",
}
"""

DISTINCT = """\
@inproceedings{li-etal-2016-diversity,
    title = "A Diversity-Promoting Objective Function for Neural Conversation Models",
    author = "Li, Jiwei and Galley, Michel and Brockett, Chris and Gao, Jianfeng and Dolan, Bill",
    booktitle = "Proceedings of NAACL-HLT 2016",
    year = "2016",
}
"""
