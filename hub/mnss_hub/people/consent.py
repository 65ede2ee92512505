"""The consent text shown at registration (zh-CN / en); its version is stored with each profile.

Change the text -> raise CONSENT_VERSION, so every profile says which wording its person agreed to.
"""

CONSENT_VERSION = "1"

TEXT = {
    "zh-CN": (
        "为开通实名学习账号，平台收集您的姓名、性别、身份证号码、所在机构、科室、职务、职称、手机号码、"
        "电子邮箱，以及您自愿填写的微信号和备注。其中身份证号码和手机号码属于敏感个人信息，仅用于核实身份、"
        "确保一人一号和必要的联系。身份证号码、手机号码和微信号加密存储，默认脱敏显示；管理员查看完整信息须"
        "填写理由，每次查看和导出都记入防篡改的审计日志。学习记录以化名方式分析。您可以随时下载本人的全部数据，"
        "也可以申请注销账号并删除个人信息。"
    ),
    "en": (
        "To open your real-name learning account, the platform collects your name, gender, national ID number, "
        "institution, department, position, professional title, mobile number and email, and the WeChat ID and "
        "remarks you choose to give. Your ID number and mobile number are sensitive personal information, used "
        "only to confirm who you are, to keep one account per person and to reach you when needed. The ID number, "
        "mobile number and WeChat ID are stored encrypted and shown masked; an administrator must give a reason to "
        "see them in full, and every view and export is written to a tamper-evident audit log. Learning records are "
        "analysed under a pseudonym. You can download all your data at any time, and ask for your account and "
        "personal data to be deleted."
    ),
}


def text(lang: str) -> str:
    return TEXT["en" if lang == "en" else "zh-CN"]
