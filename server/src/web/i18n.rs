//! The pages' texts in English and German, chosen by `Accept-Language`. Keys are grouped
//! as the original page grouped them: `passwordReset.*`, `common.*`, `auth.*`; the study
//! screen's are `study.*`.

pub use crate::lang::Lang;

/// What templates call: `t.get("passwordReset.title")`.
#[derive(Debug, Clone, Copy)]
pub struct Texts {
    pub lang: Lang,
}

impl Texts {
    pub fn get(&self, key: &str) -> &'static str {
        let pair = TEXTS.iter().find(|(k, _, _)| *k == key);
        match (pair, self.lang) {
            (Some((_, en, _)), Lang::En) => en,
            (Some((_, _, de)), Lang::De) => de,
            // A missing key is a bug the tests catch; show the key rather than panic.
            (None, _) => "??",
        }
    }
}

const TEXTS: &[(&str, &str, &str)] = &[
    ("common.appName", "flashcard-flow", "flashcard-flow"),
    ("study.syncInProgress", "A sync of your collection is in progress. Try again in a moment.", "Ihre Sammlung wird gerade synchronisiert. Versuchen Sie es gleich noch einmal."),
    ("study.cardChanged", "This card changed since it was shown (a device synced it, or another window answered it). Here it is as it is now.", "Diese Karte hat sich geändert, seit sie angezeigt wurde (ein Gerät hat sie synchronisiert oder ein anderes Fenster hat sie beantwortet). Hier ist sie im aktuellen Stand."),
    ("study.notShown", "This is not the card being shown. Ask for the next card first.", "Das ist nicht die angezeigte Karte. Rufen Sie zuerst die nächste Karte ab."),
    ("study.undoStale", "The last answer can no longer be undone: your collection was synced or changed since.", "Die letzte Antwort kann nicht mehr rückgängig gemacht werden: Ihre Sammlung wurde seitdem synchronisiert oder geändert."),
    ("study.nothingToUndo", "There is no answer to undo.", "Es gibt keine Antwort, die rückgängig gemacht werden kann."),
    ("study.undone", "The last answer was undone.", "Die letzte Antwort wurde rückgängig gemacht."),
    ("study.noDeck", "There is no such deck in your collection.", "Diesen Stapel gibt es in Ihrer Sammlung nicht."),
    ("study.noCard", "There is no such card in your collection.", "Diese Karte gibt es in Ihrer Sammlung nicht."),
    ("study.badRating", "The rating must be a whole number from 1 (again) to 4 (easy).", "Die Bewertung muss eine ganze Zahl von 1 (Nochmal) bis 4 (Einfach) sein."),
    ("study.badMillis", "millis_taken must be a whole number from 0 to 3600000.", "millis_taken muss eine ganze Zahl von 0 bis 3600000 sein."),
    ("study.unsupportedFsrs", "This collection uses FSRS, which studying on the web does not support yet. Study it in Anki.", "Diese Sammlung verwendet FSRS, das beim Lernen im Web noch nicht unterstützt wird. Lernen Sie sie in Anki."),
    ("study.unsupportedFiltered", "Filtered decks cannot be studied on the web yet. Study them in Anki.", "Gefilterte Stapel können im Web noch nicht gelernt werden. Lernen Sie sie in Anki."),
    ("study.unsupported", "This deck uses an option studying on the web does not support yet. Study it in Anki.", "Dieser Stapel verwendet eine Option, die beim Lernen im Web noch nicht unterstützt wird. Lernen Sie ihn in Anki."),
    ("study.unreadable", "Your collection could not be read. Sync it again from Anki, or ask the server's operator.", "Ihre Sammlung konnte nicht gelesen werden. Synchronisieren Sie sie erneut aus Anki oder fragen Sie den Betreiber des Servers."),
    ("study.noCollection", "There is no collection on this server yet. Sync from Anki first.", "Auf diesem Server gibt es noch keine Sammlung. Synchronisieren Sie zuerst aus Anki."),
    ("study.signIn", "Sign in first.", "Melden Sie sich zuerst an."),
    ("study.again", "Again", "Nochmal"),
    ("study.hard", "Hard", "Schwer"),
    ("study.good", "Good", "Gut"),
    ("study.easy", "Easy", "Einfach"),
    ("study.showAnswer", "Show answer", "Antwort zeigen"),
    ("study.undo", "Undo last answer", "Letzte Antwort rückgängig machen"),
    ("study.backToDecks", "Back to the decks", "Zurück zu den Stapeln"),
    ("study.congratsTitle", "Congratulations!", "Herzlichen Glückwunsch!"),
    ("study.congrats", "You have finished this deck for now.", "Sie haben diesen Stapel vorerst abgeschlossen."),
    ("study.countsLabel", "Cards left today", "Heute verbleibende Karten"),
    ("study.new", "New", "Neu"),
    ("study.learn", "Learning", "Lernen"),
    ("study.review", "To review", "Wiederholen"),
    ("study.questionSide", "Question", "Frage"),
    ("study.answerSide", "Answer", "Antwort"),
    ("study.keys", "Keys: space or enter shows the answer, 1 to 4 rate it, U undoes the last answer.", "Tasten: Leertaste oder Eingabe zeigt die Antwort, 1 bis 4 bewerten sie, U macht die letzte Antwort rückgängig."),
    ("common.email", "Email address", "E-Mail-Adresse"),
    ("common.password", "Password", "Passwort"),
    ("common.backToLogin", "Back to sign in", "Zurück zur Anmeldung"),
    ("common.themeToggle", "Dark theme", "Dunkles Design"),
    ("common.error", "Something went wrong. Please try again.", "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut."),
    ("common.tooMany", "Too many attempts. Please wait a minute and try again.", "Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es erneut."),
    ("common.save", "Save", "Speichern"),
    ("common.busy", "The server is busy checking other sign-ins. Please try again in a moment.", "Der Server prüft gerade viele andere Anmeldungen. Bitte versuchen Sie es gleich noch einmal."),
    ("auth.login.firstRunTitle", "No account exists yet", "Es gibt noch kein Konto"),
    ("auth.login.firstRun", "Create the first admin on the server with this command (it asks for the password), then sign in here:", "Legen Sie auf dem Server mit diesem Befehl den ersten Admin an (er fragt nach dem Passwort) und melden Sie sich dann hier an:"),
    ("auth.login.limited", "Too many failed attempts. Please wait {seconds} seconds and try again.", "Zu viele fehlgeschlagene Versuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es erneut."),
    ("common.errorCode", "Error {code}", "Fehler {code}"),
    ("common.toStart", "Go to the start page", "Zur Startseite"),
    ("common.badRequest.title", "Something is wrong with this request", "Mit dieser Anfrage stimmt etwas nicht"),
    ("common.badRequest.text", "The server could not understand what your browser sent. Go back and try again.", "Der Server konnte nicht verstehen, was Ihr Browser gesendet hat. Gehen Sie zurück und versuchen Sie es erneut."),
    ("common.forbidden.title", "Access denied", "Zugriff verweigert"),
    ("common.forbidden.text", "You are not allowed to open this page.", "Sie dürfen diese Seite nicht öffnen."),
    ("common.notFound.title", "Page not found", "Seite nicht gefunden"),
    ("common.notFound.text", "There is no page at this address. Check the link, or begin again from the start page.", "Unter dieser Adresse gibt es keine Seite. Prüfen Sie den Link oder beginnen Sie auf der Startseite."),
    ("common.methodNotAllowed.title", "This action is not available here", "Diese Aktion ist hier nicht möglich"),
    ("common.methodNotAllowed.text", "This page cannot be used this way. Open it from a link or a form on this site.", "Diese Seite kann so nicht verwendet werden. Öffnen Sie sie über einen Link oder ein Formular dieser Website."),
    ("common.tooLarge.title", "Too much data", "Zu viele Daten"),
    ("common.tooLarge.text", "What you sent is larger than this page accepts. Shorten your entries and try again.", "Ihre Eingaben sind größer, als diese Seite annimmt. Kürzen Sie sie und versuchen Sie es erneut."),
    ("common.unsupportedType.title", "Unsupported format", "Format nicht unterstützt"),
    ("common.unsupportedType.text", "The form was sent in a format this page does not accept. Reload the page and send the form again.", "Das Formular wurde in einem Format gesendet, das diese Seite nicht annimmt. Laden Sie die Seite neu und senden Sie das Formular erneut."),
    ("common.tooMany.title", "Too many attempts", "Zu viele Versuche"),
    ("common.serverError.title", "Server error", "Serverfehler"),
    ("common.unavailable.title", "Server busy", "Server ausgelastet"),
    ("common.unavailable.text", "The server cannot answer right now. Please try again in a moment.", "Der Server kann gerade nicht antworten. Bitte versuchen Sie es gleich noch einmal."),
    ("common.formExpired.title", "This form has expired", "Dieses Formular ist abgelaufen"),
    ("common.formExpired.text", "This form has expired or came from another site. Reload the page and try again.", "Dieses Formular ist abgelaufen oder stammt von einer anderen Website. Laden Sie die Seite neu und versuchen Sie es erneut."),
    ("common.footer", "Self-hosted Anki sync", "Selbst betriebene Anki-Synchronisation"),
    ("auth.login.title", "Sign in", "Anmelden"),
    ("auth.login.login", "Username or email", "Benutzername oder E-Mail"),
    ("auth.login.submit", "Sign in", "Anmelden"),
    ("auth.login.forgot", "Forgot password?", "Passwort vergessen?"),
    ("auth.login.failed", "Incorrect username, email or password.", "Benutzername, E-Mail oder Passwort ist falsch."),
    ("auth.login.signedOut", "You are signed out.", "Sie sind abgemeldet."),
    ("auth.login.passwordChanged", "Your password was changed. Sign in with the new one.", "Ihr Passwort wurde geändert. Melden Sie sich mit dem neuen an."),
    ("auth.logout", "Sign out", "Abmelden"),
    ("auth.account.title", "Your account", "Ihr Konto"),
    ("auth.account.signedInAs", "Signed in as", "Angemeldet als"),
    ("auth.account.changePassword", "Change password", "Passwort ändern"),
    ("auth.account.currentPassword", "Current password", "Aktuelles Passwort"),
    ("auth.account.newPassword", "New password", "Neues Passwort"),
    ("auth.account.confirmPassword", "Confirm new password", "Neues Passwort bestätigen"),
    ("auth.account.wrongCurrent", "The current password is not correct.", "Das aktuelle Passwort ist nicht korrekt."),
    ("auth.account.devices", "Anki devices", "Anki-Geräte"),
    ("auth.account.noDevices", "No Anki device is signed in.", "Kein Anki-Gerät ist angemeldet."),
    ("auth.account.sessions", "Browser sessions", "Browser-Sitzungen"),
    ("auth.account.thisBrowser", "this browser", "dieser Browser"),
    ("auth.account.lastUsed", "last used", "zuletzt benutzt"),
    ("auth.account.legacy", "imported login", "übernommene Anmeldung"),
    ("auth.account.revoke", "Sign out", "Abmelden"),
    ("auth.account.revoked", "Signed out.", "Abgemeldet."),
    ("auth.admin.title", "Mail settings", "E-Mail-Einstellungen"),
    ("auth.admin.host", "SMTP host", "SMTP-Server"),
    ("auth.admin.port", "Port", "Port"),
    ("auth.admin.security", "Security", "Verschlüsselung"),
    ("auth.admin.username", "SMTP username", "SMTP-Benutzername"),
    ("auth.admin.password", "SMTP password (leave empty to keep)", "SMTP-Passwort (leer lassen, um es zu behalten)"),
    ("auth.admin.fromName", "Sender name", "Absendername"),
    ("auth.admin.fromAddress", "Sender address", "Absenderadresse"),
    ("auth.admin.test", "Send test email", "Test-E-Mail senden"),
    ("auth.admin.clear", "Use the configured settings", "Konfigurierte Einstellungen verwenden"),
    ("auth.admin.saved", "Settings saved.", "Einstellungen gespeichert."),
    ("auth.admin.testSent", "Test email sent to", "Test-E-Mail gesendet an"),
    ("auth.admin.testFailed", "The test email could not be sent:", "Die Test-E-Mail konnte nicht gesendet werden:"),
    ("auth.admin.source", "Settings in effect:", "Aktive Einstellungen:"),
    ("auth.admin.sourcePage", "saved on this page", "auf dieser Seite gespeichert"),
    ("auth.admin.sourceConfig", "from the configuration", "aus der Konfiguration"),
    ("auth.admin.sourceNone", "none: no mail is sent", "keine: es wird keine E-Mail gesendet"),
    ("auth.admin.invalid", "Check the host, port and sender address.", "Prüfen Sie Server, Port und Absenderadresse."),
    ("auth.admin.adminsOnly.title", "Admins only", "Nur für Administratoren"),
    ("auth.admin.adminsOnly.text", "Only an administrator can change the mail settings. Sign in with an administrator account.", "Nur Administratoren können die E-Mail-Einstellungen ändern. Melden Sie sich mit einem Administratorkonto an."),
    ("passwordReset.title", "Reset Password", "Passwort zurücksetzen"),
    ("passwordReset.instructions", "Enter the email address of your account. We will send you a link to choose a new password.", "Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen können."),
    ("passwordReset.sendLink", "Send Reset Link", "Link senden"),
    ("passwordReset.sent", "If an account exists for that address, we have sent it a link to reset the password. Check your inbox.", "Falls zu dieser Adresse ein Konto existiert, haben wir einen Link zum Zurücksetzen gesendet. Prüfen Sie Ihren Posteingang."),
    ("passwordReset.newPassword", "New password", "Neues Passwort"),
    ("passwordReset.confirmPassword", "Confirm new password", "Neues Passwort bestätigen"),
    ("passwordReset.submit", "Reset Password", "Passwort zurücksetzen"),
    ("passwordReset.mismatch", "Passwords do not match", "Die Passwörter stimmen nicht überein"),
    ("passwordReset.invalid", "This reset link is invalid or has expired.", "Dieser Link ist ungültig oder abgelaufen."),
    ("passwordReset.requestNew", "Request a new link", "Neuen Link anfordern"),
    ("passwordReset.verified", "Your link is valid. Choose a new password.", "Ihr Link ist gültig. Wählen Sie ein neues Passwort."),
    ("passwordReset.success", "Your password has been reset. Taking you to sign in…", "Ihr Passwort wurde zurückgesetzt. Sie werden zur Anmeldung weitergeleitet…"),
    ("passwordReset.hint", "At least {n} characters.", "Mindestens {n} Zeichen."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_and_no_key_repeats() {
        let mut seen = std::collections::HashSet::new();
        for (key, en, de) in TEXTS {
            assert!(seen.insert(key), "{key} twice");
            assert!(!en.is_empty() && !de.is_empty(), "{key}");
            assert!(
                key.starts_with("common.")
                    || key.starts_with("auth.")
                    || key.starts_with("passwordReset.")
                    || key.starts_with("study."),
                "{key}"
            );
        }
    }
}
