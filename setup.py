"""``pip install .`` installs all four provider packages from generated/."""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
PACKAGES = {
    "CyberSource": "generated/cybersource/CyberSource",
    "pandadoc_client": "generated/pandadoc/pandadoc_client",
    "criteo_api_retailmedia_v2022_10": (
        "generated/criteo-retailmedia-v2022-10/criteo_api_retailmedia_v2022_10"
    ),
    "zuora_client": "generated/zuora/zuora_client",
}

package_dir = {}
for name, folder in PACKAGES.items():
    package_dir[name] = folder
    for sub in ("api", "model"):
        package_dir[f"{name}.{sub}"] = f"{folder}/{sub}"

setup(
    name="tokenworks",
    version="1.0.0",
    description="OAuth token clients for CyberSource, PandaDoc, Criteo Retail Media 2022-10 and Zuora",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    package_dir=package_dir,
    packages=sorted(package_dir),
    package_data={name: ["py.typed"] for name in PACKAGES},
    python_requires=">=3.9",
    install_requires=["urllib3>=2,<3"],
)
