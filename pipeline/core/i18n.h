/* The language of every label on the PNGs and pages (--lang en|uk|km).
 *
 * Translations are data: po/LANG.po (gettext's format, so any translator's
 * tool opens them), checked and compiled by msgfmt at build time into
 * build/locale/LANG/LC_MESSAGES/minescan.mo. We read the .mo ourselves
 * instead of calling gettext(3): glibc's gettext translates only when the
 * process runs under an installed system locale of that language (uk_UA,
 * km_KH), which field laptops rarely have generated, and it takes the
 * language from the environment, while ours is a per-run option. The .mo
 * is found under $MINESCAN_LOCALEDIR, else beside the executable
 * (DIR/locale for DIR/minescan), else in the build tree. */
#ifndef MINESCAN_I18N_H
#define MINESCAN_I18N_H

/* Choose the language: "en" (the msgids themselves, no file) or a code with
 * a catalogue ("uk", "km"). MS_ERR_USAGE for an unknown code, MS_ERR_IO
 * (naming the file) when its catalogue cannot be read. */
int ms_lang_set(const char *code);
/* The code in use ("en" until ms_lang_set chose another). */
const char *ms_lang(void);
/* The languages --lang accepts, for help and messages: "en|uk|km". */
#define MS_LANGS "en|uk|km"

/* The translation of `msgid` in the current language, or msgid itself. */
const char *ms_tr(const char *msgid);

/* _() marks a string for translation and translates it; N_() only marks
 * it (static tables, translated where used). xgettext --keyword=_
 * --keyword=N_ finds both (tests/cli/test_lang.py). */
#define _(s) ms_tr(s)
#define N_(s) (s)

#endif
