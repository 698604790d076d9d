using System.ComponentModel.DataAnnotations;
using Books.Settings;
using Microsoft.Extensions.Options;

namespace Books.Api;

/// <summary>The one way books-api takes a settings section: options bound from configuration, validated on start.</summary>
internal static class ValidatedSettings
{
    /// <summary>
    /// <c>AddOptions&lt;T&gt;().BindConfiguration(section).ValidateOnStart()</c>, its validation attributes checked by a
    /// validator that names each value's full key: an invalid value stops startup saying which key to fix.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedSettings<T>(this IServiceCollection services, string section) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new KeyedValidation<T>(section));
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    private sealed class KeyedValidation<T>(string section) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = new List<ValidationResult>();
            return Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true)
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(string.Join(" ", errors.SelectMany(error => error.MemberNames.Select(member =>
                    $"'{SettingsKey.Of(section, member)}' ({typeof(T).GetProperty(member)?.GetValue(options)} given) {error.ErrorMessage}."))));
        }
    }
}
