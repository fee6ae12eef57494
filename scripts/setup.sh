#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks to build, test and run Kontrast.
# Idempotent: installs only missing packages, and runs apt-get update only when it must.
set -euo pipefail

packages=(openjdk-17-jdk-headless maven dataset-fashion-mnist python3 python3-numpy python3-avro python3-onnx python3-confluent-kafka yamllint kcat)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# A JDK 17 and Maven already on the PATH will do.
if command -v javac >/dev/null && javac -version 2>&1 | grep -q ' 17\.'; then
  missing=("${missing[@]/openjdk-17-jdk-headless}")
fi
command -v mvn >/dev/null && missing=("${missing[@]/maven}")
read -r -a missing <<<"${missing[*]:-}"
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
