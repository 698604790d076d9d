using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;

namespace Books.AppHost;

/// <summary>Access tokens from an OpenID Connect provider's token endpoint, by the client-credentials grant (RFC 6749 4.4).</summary>
internal static class ProviderTokens
{
    public const string TokenEndpointPath = "/connect/token";
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Asks <paramref name="provider"/> for a token, waiting at most <paramref name="timeout"/> (10 s unless given); a
    /// refusal throws with the provider's error and description.
    /// </summary>
    public static async Task<string> RequestAsync(
        Uri provider, string clientId, string clientSecret, string scopes, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        using var client = new HttpClient { Timeout = timeout ?? s_timeout };
        return await RequestAsync(client, provider, clientId, clientSecret, scopes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same, through <paramref name="client"/> (its TLS trust, its time-out).</summary>
    public static async Task<string> RequestAsync(
        HttpClient client, Uri provider, string clientId, string clientSecret, string scopes, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(provider, TokenEndpointPath))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = scopes }),
        };
        // RFC 6749 2.3.1: client id and secret form-encoded, then as Basic credentials.
        var credentials = $"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(clientSecret)}";
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));

        using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var answer = await response.Content.ReadFromJsonAsync<TokenResponse>(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode && answer?.AccessToken is { Length: > 0 } token
            ? token
            : throw new InvalidOperationException(
                $"The identity provider refused a token to '{clientId}' ({(int)response.StatusCode}): {answer?.Error} {answer?.ErrorDescription}".TrimEnd());
    }

    private sealed record TokenResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("error")] string? Error,
        [property: JsonPropertyName("error_description")] string? ErrorDescription);
}
