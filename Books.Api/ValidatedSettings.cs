using System.ComponentModel.DataAnnotations;
using Books.Settings;
using Microsoft.Extensions.Options;

namespace Books.Api;

/// <summary>Binds a configuration section to its settings class and validates it before the app is built.</summary>
internal static class ValidatedSettings
{
    /// <summary>
    /// Binds <paramref name="section"/> to <typeparamref name="T"/>, checks its validation attributes and registers the
    /// result as <see cref="IOptions{T}"/>. An invalid value stops startup with a message naming its full key.
    /// </summary>
    public static T AddValidatedSettings<T>(this IHostApplicationBuilder builder, string section) where T : class, new()
    {
        var settings = builder.Configuration.GetSection(section).Get<T>() ?? new T();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(settings, new ValidationContext(settings), errors, validateAllProperties: true))
        {
            throw new InvalidOperationException(string.Join(" ", errors.SelectMany(error => error.MemberNames.Select(member =>
                $"'{SettingsKey.Of(section, member)}' ({typeof(T).GetProperty(member)?.GetValue(settings)} given) {error.ErrorMessage}."))));
        }

        builder.Services.AddSingleton(Options.Create(settings));
        return settings;
    }
}
