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

REDIAL = """\
@inproceedings{li2018towards,
    title = "Towards Deep Conversational Recommendations",
    author = "Li, Raymond and Kahou, Samira Ebrahimi and Schulz, Hannes and Michalski, Vincent and Charlin, Laurent and Pal, Chris",
    booktitle = "Advances in Neural Information Processing Systems 31 (NeurIPS 2018)",
    year = "2018",
}
"""

TGREDIAL = """\
@inproceedings{zhou-etal-2020-towards,
    title = "Towards Topic-Guided Conversational Recommender System",
    author = "Zhou, Kun and Zhou, Yuanhang and Zhao, Wayne Xin and Wang, Xiaoke and Wen, Ji-Rong",
    booktitle = "Proceedings of the 28th International Conference on Computational Linguistics",
    year = "2020",
    pages = "4128--4139",
}
"""

GORECDIAL = """\
@inproceedings{kang-etal-2019-recommendation,
    title = "Recommendation as a Communication Game: Self-Supervised Bot-Play for Goal-oriented Dialogue",
    author = "Kang, Dongyeop and Balakrishnan, Anusha and Shah, Pararth and Crook, Paul and Boureau, Y-Lan and Weston, Jason",
    booktitle = "Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing and the 9th International Joint Conference on Natural Language Processing (EMNLP-IJCNLP)",
    year = "2019",
    pages = "1951--1961",
}
"""

OPENDIALKG = """\
@inproceedings{moon-etal-2019-opendialkg,
    title = "{O}pen{D}ial{KG}: Explainable Conversational Reasoning with Attention-based Walks over Knowledge Graphs",
    author = "Moon, Seungwhan and Shah, Pararth and Kumar, Anuj and Subba, Rajen",
    booktitle = "Proceedings of the 57th Annual Meeting of the Association for Computational Linguistics",
    year = "2019",
    pages = "845--854",
}
"""

INSPIRED = """\
@inproceedings{hayati-etal-2020-inspired,
    title = "{INSPIRED}: Toward Sociable Recommendation Dialog Systems",
    author = "Hayati, Shirley Anugrah and Kang, Dongyeop and Zhu, Qingxiaoyang and Shi, Weiyan and Yu, Zhou",
    booktitle = "Proceedings of the 2020 Conference on Empirical Methods in Natural Language Processing (EMNLP)",
    year = "2020",
    pages = "8142--8152",
}
"""

DURECDIAL = """\
@inproceedings{liu-etal-2020-towards-conversational,
    title = "Towards Conversational Recommendation over Multi-Type Dialogs",
    author = "Liu, Zeming and Wang, Haifeng and Niu, Zheng-Yu and Wu, Hua and Che, Wanxiang and Liu, Ting",
    booktitle = "Proceedings of the 58th Annual Meeting of the Association for Computational Linguistics",
    year = "2020",
    pages = "1036--1049",
}
"""

KBRD = """\
@inproceedings{chen-etal-2019-towards,
    title = "Towards Knowledge-Based Recommender Dialog System",
    author = "Chen, Qibin and Lin, Junyang and Zhang, Yichang and Ding, Ming and Cen, Yukuo and Yang, Hongxia and Tang, Jie",
    booktitle = "Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing (EMNLP-IJCNLP)",
    year = "2019",
    pages = "1803--1813",
}
"""

KGSF = """\
@inproceedings{zhou-etal-2020-improving,
    title = "Improving Conversational Recommender Systems via Knowledge Graph based Semantic Fusion",
    author = "Zhou, Kun and Zhao, Wayne Xin and Bian, Shuqing and Zhou, Yuanhang and Wen, Ji-Rong and Yu, Jingsong",
    booktitle = "Proceedings of the 26th ACM SIGKDD International Conference on Knowledge Discovery & Data Mining",
    year = "2020",
    pages = "1006--1014",
}
"""

NTRD = """\
@inproceedings{liang-etal-2021-learning,
    title = "Learning Neural Templates for Recommender Dialogue System",
    author = "Liang, Zujie and Hu, Huang and Xu, Can and Miao, Jian and He, Yingying and Chen, Yining and Geng, Xiubo and Liang, Fan and Jiang, Daxin",
    booktitle = "Proceedings of the 2021 Conference on Empirical Methods in Natural Language Processing",
    year = "2021",
    publisher = "Association for Computational Linguistics",
    url = "https://aclanthology.org/2021.emnlp-main.617",
    pages = "7821--7833",
}
"""

TEXTCNN = """\
@inproceedings{kim-2014-convolutional,
    title = "Convolutional Neural Networks for Sentence Classification",
    author = "Kim, Yoon",
    booktitle = "Proceedings of the 2014 Conference on Empirical Methods in Natural Language Processing (EMNLP)",
    year = "2014",
    publisher = "Association for Computational Linguistics",
    url = "https://aclanthology.org/D14-1181",
    doi = "10.3115/v1/D14-1181",
    pages = "1746--1751",
}
"""

RGCN = """\
@inproceedings{schlichtkrull2018modeling,
    title = "Modeling Relational Data with Graph Convolutional Networks",
    author = "Schlichtkrull, Michael and Kipf, Thomas N. and Bloem, Peter and van den Berg, Rianne and Titov, Ivan and Welling, Max",
    booktitle = "The Semantic Web: 15th International Conference, ESWC 2018",
    year = "2018",
    publisher = "Springer",
    doi = "10.1007/978-3-319-93417-4_38",
    pages = "593--607",
}
"""

BERT = """\
@inproceedings{devlin-etal-2019-bert,
    title = "{BERT}: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    author = "Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, Kristina",
    booktitle = "Proceedings of the 2019 Conference of the North {A}merican Chapter of the Association for Computational Linguistics: Human Language Technologies (NAACL-HLT)",
    year = "2019",
    publisher = "Association for Computational Linguistics",
    url = "https://aclanthology.org/N19-1423",
    doi = "10.18653/v1/N19-1423",
    pages = "4171--4186",
}
"""

GRU4REC = """\
@inproceedings{hidasi2016session,
    title = "Session-based Recommendations with Recurrent Neural Networks",
    author = "Hidasi, Balázs and Karatzoglou, Alexandros and Baltrunas, Linas and Tikk, Domonkos",
    booktitle = "4th International Conference on Learning Representations (ICLR 2016)",
    year = "2016",
    url = "https://arxiv.org/abs/1511.06939",
}
"""

SASREC = """\
@inproceedings{kang2018self,
    title = "Self-Attentive Sequential Recommendation",
    author = "Kang, Wang-Cheng and McAuley, Julian",
    booktitle = "2018 IEEE International Conference on Data Mining (ICDM)",
    year = "2018",
    publisher = "IEEE",
    doi = "10.1109/ICDM.2018.00035",
    pages = "197--206",
}
"""

TRANSFORMER = """\
@inproceedings{vaswani2017attention,
    title = "Attention is All you Need",
    author = "Vaswani, Ashish and Shazeer, Noam and Parmar, Niki and Uszkoreit, Jakob and Jones, Llion and Gomez, Aidan N. and Kaiser, {\\L}ukasz and Polosukhin, Illia",
    booktitle = "Advances in Neural Information Processing Systems 30 (NeurIPS 2017)",
    year = "2017",
    pages = "5998--6008",
}
"""

HRED = """\
@inproceedings{serban2016building,
    title = "Building End-To-End Dialogue Systems Using Generative Hierarchical Neural Network Models",
    author = "Serban, Iulian V. and Sordoni, Alessandro and Bengio, Yoshua and Courville, Aaron and Pineau, Joelle",
    booktitle = "Proceedings of the Thirtieth AAAI Conference on Artificial Intelligence (AAAI 2016)",
    year = "2016",
    pages = "3776--3783",
}
"""

GPT2 = """\
@techreport{radford2019language,
    title = "Language Models are Unsupervised Multitask Learners",
    author = "Radford, Alec and Wu, Jeffrey and Child, Rewon and Luan, David and Amodei, Dario and Sutskever, Ilya",
    institution = "OpenAI",
    year = "2019",
}
"""
