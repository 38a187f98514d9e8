"""Helpers shared by the benches and the tests: genuine platform peers (signing and
encrypting like WeCom, DingTalk and Feishu), fake platform APIs, a real `orgbot run`
subprocess and upload bombs. Benches import these, never test modules."""
