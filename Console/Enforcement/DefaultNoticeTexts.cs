namespace ModerationConsole.Enforcement;

/// <summary>
/// The console's own wording of every notice in English, German, French and Spanish, used wherever an admin has not
/// written their own (notice_templates). Placeholders are listed in <see cref="NoticeTemplates.Placeholders"/>.
/// </summary>
public static class DefaultNoticeTexts
{
    public static readonly IReadOnlyDictionary<(string Kind, string Language), (string Title, string Body)> All =
        new Dictionary<(string, string), (string, string)>
        {
            [(NoticeKinds.Warn, "en")] = ("A warning about your account",
                "Content you generated was removed: {ground} Further violations will restrict your account. You can appeal until {appealUntil}."),
            [(NoticeKinds.Warn, "de")] = ("Eine Verwarnung zu Ihrem Konto",
                "Von Ihnen erzeugte Inhalte wurden entfernt: {ground} Weitere Verstöße führen zu Einschränkungen Ihres Kontos. Sie können bis {appealUntil} Beschwerde einlegen."),
            [(NoticeKinds.Warn, "fr")] = ("Un avertissement concernant votre compte",
                "Un contenu que vous avez généré a été retiré : {ground} D'autres infractions restreindront votre compte. Vous pouvez faire appel jusqu'au {appealUntil}."),
            [(NoticeKinds.Warn, "es")] = ("Una advertencia sobre tu cuenta",
                "Se eliminó contenido que generaste: {ground} Nuevas infracciones restringirán tu cuenta. Puedes apelar hasta el {appealUntil}."),

            [(NoticeKinds.Restrict, "en")] = ("Some features of your account are restricted",
                "After repeated violations ({ground}) these features are not available to you until {until}: {features}. {quota} You can appeal until {appealUntil}."),
            [(NoticeKinds.Restrict, "de")] = ("Einige Funktionen Ihres Kontos sind eingeschränkt",
                "Nach wiederholten Verstößen ({ground}) stehen Ihnen diese Funktionen bis {until} nicht zur Verfügung: {features}. {quota} Sie können bis {appealUntil} Beschwerde einlegen."),
            [(NoticeKinds.Restrict, "fr")] = ("Certaines fonctionnalités de votre compte sont restreintes",
                "Après des infractions répétées ({ground}), ces fonctionnalités ne vous sont pas accessibles jusqu'au {until} : {features}. {quota} Vous pouvez faire appel jusqu'au {appealUntil}."),
            [(NoticeKinds.Restrict, "es")] = ("Algunas funciones de tu cuenta están restringidas",
                "Tras infracciones repetidas ({ground}) estas funciones no están disponibles para ti hasta el {until}: {features}. {quota} Puedes apelar hasta el {appealUntil}."),

            [(NoticeKinds.RequireVerification, "en")] = ("Please verify your account",
                "Because of content that violated the platform's rules ({ground}), you need to verify your identity and age before you can generate again. You can appeal until {appealUntil}."),
            [(NoticeKinds.RequireVerification, "de")] = ("Bitte verifizieren Sie Ihr Konto",
                "Wegen Inhalten, die gegen die Regeln verstoßen ({ground}), müssen Sie Ihre Identität und Ihr Alter bestätigen, bevor Sie wieder Inhalte erzeugen können. Sie können bis {appealUntil} Beschwerde einlegen."),
            [(NoticeKinds.RequireVerification, "fr")] = ("Veuillez vérifier votre compte",
                "En raison de contenus contraires aux règles ({ground}), vous devez vérifier votre identité et votre âge avant de pouvoir générer à nouveau. Vous pouvez faire appel jusqu'au {appealUntil}."),
            [(NoticeKinds.RequireVerification, "es")] = ("Verifica tu cuenta",
                "Debido a contenido que infringió las normas ({ground}), debes verificar tu identidad y edad antes de volver a generar. Puedes apelar hasta el {appealUntil}."),

            [(NoticeKinds.Suspend, "en")] = ("Your account is suspended",
                "After repeated violations ({ground}) your account is suspended until {until}. You can appeal until {appealUntil}."),
            [(NoticeKinds.Suspend, "de")] = ("Ihr Konto ist gesperrt",
                "Nach wiederholten Verstößen ({ground}) ist Ihr Konto bis {until} gesperrt. Sie können bis {appealUntil} Beschwerde einlegen."),
            [(NoticeKinds.Suspend, "fr")] = ("Votre compte est suspendu",
                "Après des infractions répétées ({ground}), votre compte est suspendu jusqu'au {until}. Vous pouvez faire appel jusqu'au {appealUntil}."),
            [(NoticeKinds.Suspend, "es")] = ("Tu cuenta está suspendida",
                "Tras infracciones repetidas ({ground}) tu cuenta está suspendida hasta el {until}. Puedes apelar hasta el {appealUntil}."),

            [(NoticeKinds.Ban, "en")] = ("Your account is closed",
                "Your account was closed because of content that violates the platform's rules: {ground} You can appeal until {appealUntil}."),
            [(NoticeKinds.Ban, "de")] = ("Ihr Konto wurde geschlossen",
                "Ihr Konto wurde wegen Inhalten geschlossen, die gegen die Regeln verstoßen: {ground} Sie können bis {appealUntil} Beschwerde einlegen."),
            [(NoticeKinds.Ban, "fr")] = ("Votre compte est fermé",
                "Votre compte a été fermé en raison de contenus contraires aux règles : {ground} Vous pouvez faire appel jusqu'au {appealUntil}."),
            [(NoticeKinds.Ban, "es")] = ("Tu cuenta ha sido cerrada",
                "Tu cuenta se cerró por contenido que infringe las normas: {ground} Puedes apelar hasta el {appealUntil}."),

            [(NoticeKinds.Lifted, "en")] = ("A restriction on your account was lifted",
                "The {action} on your account no longer applies."),
            [(NoticeKinds.Lifted, "de")] = ("Eine Einschränkung Ihres Kontos wurde aufgehoben",
                "Die Maßnahme ({action}) gegen Ihr Konto gilt nicht mehr."),
            [(NoticeKinds.Lifted, "fr")] = ("Une restriction de votre compte a été levée",
                "La mesure ({action}) visant votre compte ne s'applique plus."),
            [(NoticeKinds.Lifted, "es")] = ("Se levantó una restricción de tu cuenta",
                "La medida ({action}) sobre tu cuenta ya no se aplica."),

            [(NoticeKinds.AppealUpheld, "en")] = ("Your appeal was reviewed",
                "A member of our team reviewed your appeal and the original decision stands. {outcomeNote}"),
            [(NoticeKinds.AppealUpheld, "de")] = ("Ihre Beschwerde wurde geprüft",
                "Ein Mitglied unseres Teams hat Ihre Beschwerde geprüft; die ursprüngliche Entscheidung bleibt bestehen. {outcomeNote}"),
            [(NoticeKinds.AppealUpheld, "fr")] = ("Votre appel a été examiné",
                "Un membre de notre équipe a examiné votre appel et la décision initiale est maintenue. {outcomeNote}"),
            [(NoticeKinds.AppealUpheld, "es")] = ("Tu apelación fue revisada",
                "Un miembro de nuestro equipo revisó tu apelación y la decisión original se mantiene. {outcomeNote}"),

            [(NoticeKinds.AppealOverturned, "en")] = ("Your appeal was successful",
                "A member of our team reviewed your appeal and reversed the decision. {outcomeNote}"),
            [(NoticeKinds.AppealOverturned, "de")] = ("Ihrer Beschwerde wurde stattgegeben",
                "Ein Mitglied unseres Teams hat Ihre Beschwerde geprüft und die Entscheidung aufgehoben. {outcomeNote}"),
            [(NoticeKinds.AppealOverturned, "fr")] = ("Votre appel a abouti",
                "Un membre de notre équipe a examiné votre appel et annulé la décision. {outcomeNote}"),
            [(NoticeKinds.AppealOverturned, "es")] = ("Tu apelación fue aceptada",
                "Un miembro de nuestro equipo revisó tu apelación y revocó la decisión. {outcomeNote}"),

            [(NoticeKinds.AppealModified, "en")] = ("Your appeal was partly successful",
                "A member of our team reviewed your appeal and changed the decision. {outcomeNote}"),
            [(NoticeKinds.AppealModified, "de")] = ("Ihrer Beschwerde wurde teilweise stattgegeben",
                "Ein Mitglied unseres Teams hat Ihre Beschwerde geprüft und die Entscheidung geändert. {outcomeNote}"),
            [(NoticeKinds.AppealModified, "fr")] = ("Votre appel a partiellement abouti",
                "Un membre de notre équipe a examiné votre appel et modifié la décision. {outcomeNote}"),
            [(NoticeKinds.AppealModified, "es")] = ("Tu apelación fue aceptada en parte",
                "Un miembro de nuestro equipo revisó tu apelación y modificó la decisión. {outcomeNote}"),
        };
}
