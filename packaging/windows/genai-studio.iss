; Inno Setup 6 script: wraps the one-folder Windows build (dist\genai-studio\) into genai-studio-<version>-setup.exe.
; Build the folder first (see packaging\README.md, "Windows"), then from the repository root:
;   iscc /DAppVersion=0.1.0 packaging\windows\genai-studio.iss
; The installer goes to dist\installer\. Per-user install by default (no admin rights needed).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "GenAI Studio"
#define AppExe "genai-studio.exe"
#define ProgId "GenAIStudio.Project"

[Setup]
AppId={{6F2B7E4C-93A1-4C58-9E1D-5B0C2A7F4E31}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=GenAI Studio contributors
AppComments=Offline creative AI: images, melodies and voices on your own computer.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist\installer
OutputBaseFilename=genai-studio-{#AppVersion}-setup
SetupIconFile=..\icons\genai-studio.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
; torch's libraries make a large installer; disk spanning is not needed below 2 GB
DiskSpanning=no
ChangesAssociations=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "associate"; Description: "Open .gstudio project files with {#AppName}"; GroupDescription: "File types:"

[Files]
Source: "..\..\dist\genai-studio\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .gstudio → GenAI Studio (HKA = HKCU for a per-user install, HKLM for an all-users one)
Root: HKA; Subkey: "Software\Classes\.gstudio"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "GenAI Studio Project"; Flags: uninsdeletekey; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"; Tasks: associate
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""; Tasks: associate

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
