namespace Books.AppHost;

/// <summary>
/// books-api serves plain HTTP on localhost. Without this, Aspire 13 prepares the ASP.NET Core developer
/// certificate for it and, on a machine that never trusted one (any fresh Linux machine), opens the
/// dashboard with a "No trusted development certificate" error banner for a certificate nothing uses.
/// </summary>
internal static class PlainHttp
{
#pragma warning disable ASPIRECERTIFICATES001 // an evaluation API in 13.x; the alternative is asking every user to trust a certificate
    public static IResourceBuilder<ProjectResource> WithoutDeveloperCertificate(this IResourceBuilder<ProjectResource> project) =>
        project.WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001
}
