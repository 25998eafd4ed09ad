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
    ("study.unsupportedFsrs", "This deck sorts its reviews by FSRS's difficulty or retrievability, which studying on the web does not support yet. Choose another review order in the deck's options, or study it in Anki.", "Dieser Stapel sortiert seine Wiederholungen nach der Schwierigkeit oder Abrufbarkeit von FSRS, was beim Lernen im Web noch nicht unterstützt wird. Wählen Sie in den Stapeloptionen eine andere Reihenfolge, oder lernen Sie ihn in Anki."),
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
    ("common.themeToDark", "Switch to dark theme", "Zum dunklen Design wechseln"),
    ("common.themeToLight", "Switch to light theme", "Zum hellen Design wechseln"),
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
    ("auth.account.legacy", "imported login", "übernommene Anmeldung"),
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
    ("auth.admin.saved", "Mail settings saved. They apply from now on.", "E-Mail-Einstellungen gespeichert. Sie gelten ab sofort."),
    ("auth.admin.cleared", "The settings saved on this page were removed. The settings from the configuration apply now.", "Die auf dieser Seite gespeicherten Einstellungen wurden entfernt. Jetzt gelten die Einstellungen aus der Konfiguration."),
    ("auth.admin.testSent", "Test email sent to", "Test-E-Mail gesendet an"),
    ("auth.admin.testFailed", "The test email could not be sent:", "Die Test-E-Mail konnte nicht gesendet werden:"),
    ("auth.admin.source", "Settings in effect:", "Aktive Einstellungen:"),
    ("auth.admin.sourcePage", "saved on this page", "auf dieser Seite gespeichert"),
    ("auth.admin.sourceConfig", "from the configuration", "aus der Konfiguration"),
    ("auth.admin.sourceNone", "none: no mail is sent", "keine: es wird keine E-Mail gesendet"),
    ("auth.admin.invalid", "Check the marked fields.", "Prüfen Sie die markierten Felder."),
    ("auth.admin.adminsOnly.title", "Admins only", "Nur für Administratoren"),
    ("auth.admin.adminsOnly.text", "Only an administrator can change the mail settings. Sign in with an administrator account.", "Nur Administratoren können die E-Mail-Einstellungen ändern. Melden Sie sich mit einem Administratorkonto an."),
    ("passwordReset.title", "Reset password", "Passwort zurücksetzen"),
    ("passwordReset.instructions", "Enter the email address of your account. We will send you a link to choose a new password.", "Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen können."),
    ("passwordReset.sendLink", "Send reset link", "Link senden"),
    ("passwordReset.sent", "If an account exists for that address, we have sent it a link to reset the password. Check your inbox.", "Falls zu dieser Adresse ein Konto existiert, haben wir einen Link zum Zurücksetzen gesendet. Prüfen Sie Ihren Posteingang."),
    ("passwordReset.newPassword", "New password", "Neues Passwort"),
    ("passwordReset.confirmPassword", "Confirm new password", "Neues Passwort bestätigen"),
    ("passwordReset.submit", "Reset password", "Passwort zurücksetzen"),
    ("passwordReset.mismatch", "Passwords do not match", "Die Passwörter stimmen nicht überein"),
    ("passwordReset.invalid", "This reset link is invalid or has expired.", "Dieser Link ist ungültig oder abgelaufen."),
    ("passwordReset.requestNew", "Request a new link", "Neuen Link anfordern"),
    ("passwordReset.verified", "Your link is valid. Choose a new password.", "Ihr Link ist gültig. Wählen Sie ein neues Passwort."),
    ("passwordReset.hint", "At least {n} characters.", "Mindestens {n} Zeichen."),
    ("nav.label", "Sections", "Bereiche"),
    ("nav.skip", "Skip to content", "Zum Inhalt springen"),
    ("nav.decks", "Decks", "Stapel"),
    ("nav.account", "Account", "Konto"),
    ("nav.admin", "Admin", "Verwaltung"),
    ("nav.signedInAs", "Signed in as", "Angemeldet als"),
    ("auth.login.sessionEnded", "Your session ended. Please sign in again.", "Ihre Sitzung wurde beendet. Bitte melden Sie sich erneut an."),
    ("auth.login.passwordReset", "Your password has been reset. Sign in with the new password.", "Ihr Passwort wurde zurückgesetzt. Melden Sie sich mit dem neuen Passwort an."),
    ("auth.login.disabled", "This account is disabled. Ask the server's operator.", "Dieses Konto ist deaktiviert. Wenden Sie sich an den Betreiber des Servers."),
    ("auth.password.tooShort", "The password is too short. Use at least {n} characters.", "Das Passwort ist zu kurz. Verwenden Sie mindestens {n} Zeichen."),
    ("auth.password.tooLong", "The password is too long. Use at most {n} characters.", "Das Passwort ist zu lang. Verwenden Sie höchstens {n} Zeichen."),
    ("auth.password.control", "The password must not contain control characters such as tabs or line breaks.", "Das Passwort darf keine Steuerzeichen wie Tabulatoren oder Zeilenumbrüche enthalten."),
    ("auth.account.deviceSignedOut", "{arg} is signed out. It has to sign in again to sync.", "{arg} ist abgemeldet. Zum Synchronisieren muss es sich erneut anmelden."),
    ("auth.account.sessionSignedOut", "The other browser is signed out.", "Der andere Browser ist abgemeldet."),
    ("auth.account.othersSignedOut", "Every other browser and Anki device is signed out. This browser stays signed in.", "Alle anderen Browser und Anki-Geräte sind abgemeldet. Dieser Browser bleibt angemeldet."),
    ("auth.account.revokeDevice", "Sign out this device", "Dieses Gerät abmelden"),
    ("auth.account.revokeSession", "Sign out this browser", "Diesen Browser abmelden"),
    ("auth.account.signOutOthers", "Sign out everywhere else", "Überall sonst abmelden"),
    ("auth.account.signOutOthersHint", "Signs out every other browser and every Anki device of this account. Devices have to sign in again to sync.", "Meldet alle anderen Browser und alle Anki-Geräte dieses Kontos ab. Geräte müssen sich zum Synchronisieren erneut anmelden."),
    ("auth.account.notFound", "That device or browser was already signed out.", "Dieses Gerät oder dieser Browser war bereits abgemeldet."),
    ("auth.account.deviceOn", "{app} {version} on {os}", "{app} {version} auf {os}"),
    ("auth.account.exportTitle", "Your collection as a file", "Ihre Sammlung als Datei"),
    ("auth.account.exportHint", "A copy of your cards, reviews and media as this server holds them, as a .colpkg file that Anki 2.1.50 or later opens with File > Import.", "Eine Kopie Ihrer Karten, Wiederholungen und Medien, wie dieser Server sie hat, als .colpkg-Datei, die Anki ab 2.1.50 mit Datei > Importieren öffnet."),
    ("auth.account.export", "Download the collection", "Sammlung herunterladen"),
    ("auth.account.exportFailed", "The collection could not be packed. Please try again in a moment.", "Die Sammlung konnte nicht gepackt werden. Bitte versuchen Sie es gleich noch einmal."),
    ("auth.account.browserOn", "{browser} on {os}", "{browser} auf {os}"),
    ("auth.account.firstSeen", "first seen", "zuerst gesehen"),
    ("auth.account.lastSynced", "last synced", "zuletzt synchronisiert"),
    ("auth.account.browserSession", "Browser", "Browser"),
    ("auth.account.signedInAt", "signed in", "angemeldet"),
    ("auth.account.lastActive", "last active", "zuletzt aktiv"),
    ("auth.account.syncTitle", "Syncing with Anki", "Mit Anki synchronisieren"),
    ("auth.account.syncUrl", "Sync server address", "Adresse des Sync-Servers"),
    ("auth.account.syncHint", "In Anki, open Preferences, then Syncing, and enter this address as the self-hosted sync server. Then sync and sign in with this account.", "Öffnen Sie in Anki die Einstellungen, dann Synchronisation, und tragen Sie diese Adresse als selbst betriebenen Sync-Server ein. Synchronisieren Sie dann und melden Sie sich mit diesem Konto an."),
    ("common.copy", "Copy", "Kopieren"),
    ("common.copied", "Copied.", "Kopiert."),
    ("passwordReset.emailInvalid", "Enter the email address of your account, such as name@example.com.", "Geben Sie die E-Mail-Adresse Ihres Kontos ein, zum Beispiel name@example.com."),
    ("auth.admin.hostInvalid", "Enter the mail server's host name, without spaces.", "Geben Sie den Namen des Mailservers ohne Leerzeichen ein."),
    ("auth.admin.portInvalid", "Enter a port from 1 to 65535, or leave it empty for the default.", "Geben Sie einen Port von 1 bis 65535 ein oder lassen Sie das Feld für den Standard leer."),
    ("auth.admin.securityInvalid", "Choose none, starttls or tls.", "Wählen Sie none, starttls oder tls."),
    ("auth.admin.addressInvalid", "Enter the sender's email address, such as noreply@example.com.", "Geben Sie die Absenderadresse ein, zum Beispiel noreply@example.com."),
    ("auth.admin.passwordAgain", "Enter the password again: the saved one is kept only for the server and username it was saved for.", "Geben Sie das Passwort erneut ein: Das gespeicherte gilt nur für den Server und den Benutzernamen, für die es gespeichert wurde."),
    ("auth.admin.nameInvalid", "The sender name must not contain line breaks or control characters.", "Der Absendername darf keine Zeilenumbrüche oder Steuerzeichen enthalten."),
    ("auth.admin.testWithForm", "The test uses the values in this form, saved or not.", "Der Test verwendet die Werte in diesem Formular, ob gespeichert oder nicht."),
    ("decks.title", "Your decks", "Ihre Stapel"),
    ("decks.caption", "Cards to study today", "Heute zu lernende Karten"),
    ("decks.deck", "Deck", "Stapel"),
    ("decks.new", "New", "Neu"),
    ("decks.learn", "Learning", "Lernen"),
    ("decks.review", "Review", "Wiederholen"),
    ("decks.emptyTitle", "No decks yet", "Noch keine Stapel"),
    ("decks.empty", "Your collection is not on this server yet. To bring it here:", "Ihre Sammlung ist noch nicht auf diesem Server. So bringen Sie sie hierher:"),
    ("decks.stepOpen", "Open Anki on your computer or phone.", "Öffnen Sie Anki auf Ihrem Computer oder Telefon."),
    ("decks.stepUrl", "In Preferences, then Syncing, set the self-hosted sync server to this address:", "Tragen Sie in den Einstellungen unter Synchronisation diese Adresse als selbst betriebenen Sync-Server ein:"),
    ("decks.stepSync", "Sync, and sign in with the username and password of this account.", "Synchronisieren Sie und melden Sie sich mit Benutzername und Passwort dieses Kontos an."),
    ("decks.unreadable", "Your collection could not be read. Sync it again from Anki, or ask the server's operator.", "Ihre Sammlung konnte nicht gelesen werden. Synchronisieren Sie sie erneut aus Anki oder wenden Sie sich an den Betreiber des Servers."),
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
                    || key.starts_with("study.")
                    || key.starts_with("nav.")
                    || key.starts_with("decks."),
                "{key}"
            );
        }
    }
}
