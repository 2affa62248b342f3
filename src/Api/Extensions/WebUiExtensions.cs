namespace Shears.Api.Extensions;

public static class WebUiExtensions
{
    /// <summary>
    /// The job page (wwwroot: plain HTML, CSS and JavaScript, nothing fetched from elsewhere) at <c>/</c>. The files
    /// are public; every call they make to <c>/v1</c> carries the API key the user enters.
    /// </summary>
    public static void UseShearsWebUi(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();
    }
}
