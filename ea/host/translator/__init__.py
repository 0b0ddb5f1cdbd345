"""MQL4 -> C++17 translator: lexer, preprocessor, lint, translator, build driver."""
